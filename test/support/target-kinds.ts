/**
 * The target kinds added after lambda-alias and route53-weighted (elb-weighted, apigateway-canary), each
 * as a healthy target on moto with its traffic published, for tests that run the same commands on each.
 */
import { createWeightedRule, ruleWeights } from '../../local/elb-fixtures';
import { prodStage, restApiWithTwoDeployments } from './apigateway';
import { publishSideMinutes, publishTargetGroupMinutes } from './aws';

export interface KindCase {
  kind: string;
  /** A target with a healthy canary's traffic published, its input, and how to read its split. */
  prepare(name: string): Promise<{
    input: Record<string, unknown>;
    split(): Promise<unknown>;
    onStable: unknown;
    onCanary: unknown;
    /** Every request on the stable side, whatever weights say so (a recovery without the first read keeps the stable weight it finds). */
    allOnStable(split: unknown): boolean;
  }>;
  /** What status calls the rollout of the target `prepare(name)` made. */
  label(name: string): RegExp;
  /** What a report calls the target `prepare(name)` made, in its title. */
  title(name: string): RegExp;
}

export function newerKinds(start: Date): KindCase[] {
  return [
    {
      kind: 'elb-weighted',
      title: (name) => new RegExp(`^${name} listener \\w+ rule \\w+$`),
      label: (name) =>
        new RegExp(`^load balancer ${name} listener \\w+ rule \\w+ \\('${name}-blue' → '${name}-green'\\)$`),
      async prepare(name) {
        const setting = await createWeightedRule(name);
        await publishTargetGroupMinutes(setting.listenerArn, start, 90, {
          [setting.stable]: { requests: 9000, errors: 45 },
          [setting.canary]: { requests: 1000, errors: 5 },
        });
        const { listenerArn, ruleArn, stable, canary } = setting;
        return {
          input: { target: { type: 'elb-weighted', listenerArn, ruleArn, stable, canary } },
          split: () => ruleWeights(ruleArn),
          onStable: { [`${name}-blue`]: 1, [`${name}-green`]: 0 },
          onCanary: { [`${name}-blue`]: 0, [`${name}-green`]: 1 },
          allOnStable: (split) => {
            const weights = split as Record<string, number>;
            return weights[`${name}-green`] === 0 && (weights[`${name}-blue`] ?? 0) > 0;
          },
        };
      },
    },
    {
      kind: 'apigateway-canary',
      title: () => /^stage prod of REST API \w+$/,
      label: () => /^stage prod of REST API \w+ \(deployment \w+ → \w+\)$/,
      async prepare(name) {
        const api = await restApiWithTwoDeployments(name);
        await publishSideMinutes('MyApi', name, start, 90, {
          stable: { requests: 9000, errors: 45 },
          canary: { requests: 1000, errors: 5 },
        });
        const side = (metricName: string) => ({
          namespace: 'MyApi',
          metricName,
          stable: { App: name, Side: 'stable' },
          canary: { App: name, Side: 'canary' },
        });
        return {
          input: {
            target: {
              type: 'apigateway-canary',
              restApiId: api.restApiId,
              stageName: 'prod',
              deploymentId: api.release,
            },
            analysis: { requests: side('Requests'), errors: side('Errors') },
          },
          split: () => prodStage(api.restApiId),
          onStable: { deploymentId: api.stable, canarySettings: undefined },
          onCanary: { deploymentId: api.release, canarySettings: undefined },
          allOnStable: (split) => {
            const stage = split as { deploymentId?: string; canarySettings?: unknown };
            return stage.deploymentId === api.stable && stage.canarySettings === undefined;
          },
        };
      },
    },
  ];
}

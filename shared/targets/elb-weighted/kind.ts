/** A load balancer's forward action whose weighted target groups move from the stable one to the canary. Pure. */
import type { TargetKind } from '../kind';
import { loadBalancerDimension, targetGroupName } from './arns';
import { JUDGED, targetGroupMetric } from './metrics';
import type { ElbWeightedTarget } from './schema';
import { MIN_SHARE_PERCENT } from './shares';

function where(target: { listenerArn?: unknown; ruleArn?: unknown }): string {
  const rule =
    typeof target.ruleArn === 'string' ? (target.ruleArn.split('/').pop() ?? target.ruleArn) : undefined;
  const listener = String(target.listenerArn ?? '');
  const parts = /listener\/(app|net|gwy)\/([^/]+)\/[^/]+\/([^/]+)$/.exec(listener);
  const at = parts ? `${parts[2]} listener ${parts[3]}` : listener;
  return rule ? `${at} rule ${rule}` : `${at} default action`;
}

export const elbWeighted: TargetKind<ElbWeightedTarget> = {
  label: (target) => where(target),
  key: (target) =>
    `elb-weighted#${loadBalancerDimension(target.listenerArn)}#${target.ruleArn ?? target.listenerArn}`,
  sideLabel: (id) => `target group '${targetGroupName(id)}'`,
  transition: (sides) => `'${targetGroupName(sides.baseline)}' → '${targetGroupName(sides.canary)}'`,
  recordLabel: (target, sides) =>
    `load balancer ${elbWeighted.label(target)} (${elbWeighted.transition(sides ?? { baseline: target.stable, canary: target.canary })})`,
  sides: (target) => ({ canary: target.canary, baseline: target.stable }),
  describeRaw: (raw) => `load balancer ${where(raw)} ('${raw.stable}' → '${raw.canary}')`,
  stepProblems: (_target, steps) =>
    steps.flatMap((step, i) =>
      step.weight < MIN_SHARE_PERCENT
        ? [
            `strategy.steps[${i}].weight: ${step.weight}% is below the smallest share ELB can route to one of ` +
              `two target groups (weights are integers 0-999: 1/1000 = ${MIN_SHARE_PERCENT}%)`,
          ]
        : [],
    ),
  // ELB applies weights to the next request (new sessions only, with stickiness: the router's note says so).
  fitSteps: (_target, steps) => steps,
  requestsOf: (target) =>
    `target groups ${targetGroupName(target.stable)} and ${targetGroupName(target.canary)}`,
  defaultMetrics: {
    errorsPublishedOnlyWhenNonZero: true,
    stable: (target) => {
      const metric = targetGroupMetric(target, target.stable);
      return {
        requests: metric(JUDGED.requests),
        errors: metric(JUDGED.errors),
        latency: metric(JUDGED.latency),
      };
    },
    arms: (target, sides) => {
      const canary = targetGroupMetric(target, sides.canary);
      const baseline = targetGroupMetric(target, sides.baseline);
      return {
        counts: {
          canary: { requests: canary(JUDGED.requests), errors: canary(JUDGED.errors) },
          baseline: { requests: baseline(JUDGED.requests), errors: baseline(JUDGED.errors) },
        },
        latency: { canary: canary(JUDGED.latency), baseline: baseline(JUDGED.latency) },
      };
    },
  },
};

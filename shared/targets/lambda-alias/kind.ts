/** A Lambda alias whose weights move from its version to the released one. Pure. */
import type { TargetKind } from '../kind';
import { lambdaAliasCounts, lambdaAliasMetric, lambdaVersionMetric } from './metrics';
import { canaryProvisioned } from './provisioned';
import type { LambdaAliasTarget } from './schema';

export const lambdaAlias: TargetKind<LambdaAliasTarget> = {
  label: (target) => `${target.functionName}:${target.alias}`,
  key: (target) => `lambda-alias#${target.functionName}#${target.alias}`,
  sideLabel: (id) => `version ${id}`,
  transition: (sides) => `version ${sides.baseline} → ${sides.canary}`,
  recordLabel: (target, sides) =>
    `alias ${lambdaAlias.label(target)} (${sides ? lambdaAlias.transition(sides) : `version ${target.version}`})`,
  sides: (target) => ({ canary: target.version }),
  describeRaw: (raw) =>
    `alias ${raw.functionName}:${raw.alias}${raw.version ? ` (version ${raw.version})` : ''}`,
  // Lambda takes any weight (a double from 0 to 1) and applies it at once.
  stepProblems: () => [],
  fitSteps: (_target, steps) => steps,
  requestsOf: (target, context) =>
    `${target.functionName} (versions ${context.baseline} and ${context.canary})`,
  defaultMetrics: {
    stable: (target) => {
      const alias = lambdaAliasMetric(target.functionName, target.alias);
      return { requests: alias('Invocations'), errors: alias('Errors'), latency: alias('Duration') };
    },
    arms: (target, sides) => {
      const version = lambdaVersionMetric(target.functionName, target.alias);
      return {
        counts: lambdaAliasCounts(target.functionName, target.alias, sides.baseline, sides.canary),
        latency: { canary: version('Duration', sides.canary), baseline: version('Duration', sides.baseline) },
      };
    },
  },
  canaryCapacity: canaryProvisioned,
};

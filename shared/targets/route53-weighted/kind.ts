/** A pair of Route 53 weighted records: the stable fleet's and the canary's. Pure. */
import { bareZoneId, canonicalName } from '../../core/dns-name';
import { InvalidInputError } from '../../core/errors';
import type { TrafficContext } from '../../core/ports';
import type { TargetKind } from '../kind';
import type { Route53WeightedTarget } from './schema';
import { MIN_SHARE_PERCENT } from './shares';

export const route53Weighted: TargetKind<Route53WeightedTarget> = {
  label: (target) =>
    `${target.recordName.replace(/\.$/, '')} ${target.recordType} (${bareZoneId(target.hostedZoneId)})`,
  key: (target) =>
    `route53-weighted#${bareZoneId(target.hostedZoneId)}#${canonicalName(target.recordName)}#${target.recordType}`,
  sideLabel: (id) => `record '${id}'`,
  transition: (sides) => `'${sides.baseline}' → '${sides.canary}'`,
  recordLabel: (target, sides) =>
    `records ${route53Weighted.label(target)} (${route53Weighted.transition(sides ?? { baseline: target.stable, canary: target.canary })})`,
  sides: (target) => ({ canary: target.canary, baseline: target.stable }),
  describeRaw: (raw) =>
    `records ${raw.recordName} ${raw.recordType ?? ''} in zone ${raw.hostedZoneId} ('${raw.stable}' → '${raw.canary}')`,
  stepProblems: (_target, steps) =>
    steps.flatMap((step, i) =>
      step.weight < MIN_SHARE_PERCENT
        ? [
            `strategy.steps[${i}].weight: ${step.weight}% is below the smallest share Route 53 can route to one ` +
              `of two records (weights are integers 0-255: 1/256 = ${MIN_SHARE_PERCENT.toFixed(2)}%)`,
          ]
        : [],
    ),
  fitSteps: (target, steps, context) => {
    const minimum = minimumBakeSeconds(target, context);
    if (minimum === undefined) return steps;
    if (target.stretchShortSteps)
      return steps.map((s) => ({ ...s, bakeSeconds: Math.max(s.bakeSeconds, minimum) }));
    const index = steps.findIndex((s) => s.bakeSeconds < minimum);
    const step = steps[index];
    if (step) {
      throw new InvalidInputError(
        `strategy: step ${index + 1} bakes ${step.bakeSeconds}s, but ${target.recordName} has a TTL of ` +
          `${context.ttlSeconds}s, so resolvers would keep the old split for most of the step. Use steps of at ` +
          `least ${minimum}s (TTL + ttlMarginSeconds ${target.ttlMarginSeconds}), lower the TTL, or set ` +
          'target.stretchShortSteps to lengthen them',
      );
    }
    return steps;
  },
  requestsOf: () => 'the target',
  metricsExample: "e.g. each fleet's ALB RequestCount and HTTPCode_Target_5XX_Count",
};

/**
 * DNS resolvers keep an answer for the record's TTL, so a split is only real once caches expire: a step
 * must last at least TTL + margin, or it is judged on traffic that never saw it.
 */
function minimumBakeSeconds(target: Route53WeightedTarget, context: TrafficContext): number | undefined {
  if (context.ttlSeconds === undefined) return undefined;
  return context.ttlSeconds + target.ttlMarginSeconds;
}

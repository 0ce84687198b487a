/**
 * How much provisioned concurrency the canary version gets while the alias's traffic is split. Pure.
 *
 * Lambda moves an alias's provisioned concurrency to its new version only when the alias's version changes
 * (promotion), and it cannot be changed while the alias has a routing configuration; how Lambda shares it
 * between the two versions of a weighted alias is not documented. So fledge leaves the alias's alone and
 * gives the canary version its own, sized to the largest share of traffic a step sends it, and removes it
 * once the rollout ends (the Lambda developer guide's advice: more provisioned concurrency while routing
 * is active).
 */
import type { TrafficContext } from '../../core/ports';
import type { Provisioned } from '../../core/provisioned';
import type { Step } from '../../core/strategy';
import type { LambdaAliasTarget } from './schema';

/** The canary's plan, or none, and why in words (for Plan's reason) when it matters. */
export function canaryProvisioned(
  target: LambdaAliasTarget,
  steps: readonly Step[],
  context: TrafficContext,
): { plan?: Provisioned; note?: string } {
  const setting = target.provisionedConcurrency ?? 'auto';
  const read = context.provisioned ?? { stable: 0, canary: 0 };
  const version = context.canary;
  if (read.canary > 0) {
    return {
      note: `version ${version} already has ${read.canary} provisioned concurrency of its own; fledge adds none and leaves it`,
    };
  }
  if (setting === 'off') {
    return read.stable > 0
      ? {
          note: `provisionedConcurrency is off: the canary's requests run on demand beside the alias's ${read.stable} provisioned, so the latency of the minute each step takes effect is left out of the comparison`,
        }
      : {};
  }
  if (typeof setting === 'number') {
    return { plan: { version, count: setting, basis: 'target.provisionedConcurrency', status: 'planned' } };
  }
  if (read.stable === 0) return {};
  const largest = steps.length > 0 ? Math.max(...steps.map((s) => s.weight)) : 100;
  const count = Math.max(1, Math.ceil((read.stable * largest) / 100));
  return {
    plan: {
      version,
      count,
      basis: `${largest}% of alias ${target.alias}'s ${read.stable}, the largest step's share`,
      status: 'planned',
    },
  };
}

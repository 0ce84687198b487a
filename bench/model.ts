/**
 * The simulated world of the policy benchmark: a rollout's schedule, per-minute traffic split by the
 * canary weight, binomial errors, and CloudWatch's lag. Pure, seeded.
 */
import binomial from '@stdlib/random-base-binomial';

export interface Scenario {
  name: 'healthy' | '2x' | '4x' | '10x' | 'low-traffic';
  baselineRate: number;
  canaryRate: number;
  trafficPerMinute: number;
}

export const BASELINE_RATE = 0.005;

export const SCENARIOS: Scenario[] = [
  { name: 'healthy', baselineRate: BASELINE_RATE, canaryRate: BASELINE_RATE, trafficPerMinute: 1000 },
  { name: '2x', baselineRate: BASELINE_RATE, canaryRate: 2 * BASELINE_RATE, trafficPerMinute: 1000 },
  { name: '4x', baselineRate: BASELINE_RATE, canaryRate: 4 * BASELINE_RATE, trafficPerMinute: 1000 },
  { name: '10x', baselineRate: BASELINE_RATE, canaryRate: 10 * BASELINE_RATE, trafficPerMinute: 1000 },
  // A quiet function: 50 requests a minute, with a 4x regression.
  { name: 'low-traffic', baselineRate: BASELINE_RATE, canaryRate: 4 * BASELINE_RATE, trafficPerMinute: 50 },
];

/** What every policy sees: complete minutes, each `lagMinutes` after it ends (same for all). */
export const LAG_MINUTES = 2;

export interface Minute {
  canary: { requests: number; errors: number };
  baseline: { requests: number; errors: number };
}

/** Draws one minute of traffic at a canary share. */
export type Sampler = (canaryShare: number) => Minute;

export function sampler(scenario: Scenario, seed: number): Sampler {
  const draw = binomial.factory({ seed });
  return (share) => {
    const canaryRequests =
      share <= 0 ? 0 : share >= 1 ? scenario.trafficPerMinute : draw(scenario.trafficPerMinute, share);
    const baselineRequests = scenario.trafficPerMinute - canaryRequests;
    return {
      canary: {
        requests: canaryRequests,
        errors: canaryRequests ? draw(canaryRequests, scenario.canaryRate) : 0,
      },
      baseline: {
        requests: baselineRequests,
        errors: baselineRequests ? draw(baselineRequests, scenario.baselineRate) : 0,
      },
    };
  };
}

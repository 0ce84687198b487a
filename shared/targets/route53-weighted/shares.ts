/**
 * Route 53 weights are integers from 0 to 255, and a record's share is its weight over the sum. A
 * requested percentage maps to the closest share some pair of weights reaches. Pure.
 */

export const MAX_WEIGHT = 255;

/** The smallest canary share two records can give: weights 255 and 1. */
export const MIN_SHARE_PERCENT = 100 / (MAX_WEIGHT + 1);

export interface WeightPair {
  stable: number;
  canary: number;
  /** The canary's share that this pair gives, in percent. */
  percent: number;
}

/**
 * The integer weights whose canary share is closest to `percent`; among equally close pairs, the one
 * with the largest total (finest steps later). Never both zero: Route 53 would then split traffic
 * equally between the records.
 */
export function closestWeights(percent: number): WeightPair {
  if (!(percent >= 0 && percent <= 100))
    throw new RangeError(`a canary share must be 0-100%, got ${percent}`);
  if (percent === 0) return { stable: MAX_WEIGHT, canary: 0, percent: 0 };
  if (percent === 100) return { stable: 0, canary: MAX_WEIGHT, percent: 100 };
  // A share asked for is never silently rounded to nothing (Plan refuses steps below the smallest).
  if (percent <= MIN_SHARE_PERCENT) return { stable: MAX_WEIGHT, canary: 1, percent: MIN_SHARE_PERCENT };
  const target = percent / 100;
  let best: WeightPair = { stable: MAX_WEIGHT, canary: 0, percent: 0 };
  let bestError = Number.POSITIVE_INFINITY;
  let bestTotal = 0;
  for (let canary = 1; canary <= MAX_WEIGHT; canary++) {
    // For a given canary weight, the best stable weight is next to canary·(1−p)/p.
    const ideal = (canary * (1 - target)) / target;
    for (const stable of [Math.floor(ideal), Math.ceil(ideal)]) {
      // Below 100% the stable side keeps some traffic: promotion is a separate, explicit step.
      if (stable < 1 || stable > MAX_WEIGHT) continue;
      const share = canary / (stable + canary);
      const error = Math.abs(share - target);
      const total = stable + canary;
      if (error < bestError - 1e-12 || (Math.abs(error - bestError) <= 1e-12 && total > bestTotal)) {
        best = { stable, canary, percent: share * 100 };
        bestError = error;
        bestTotal = total;
      }
    }
  }
  return best;
}

/** The canary's share, in percent, of a pair of weights as Route 53 splits them. */
export function shareOf(stable: number, canary: number): number {
  if (stable + canary === 0) return 50; // Route 53 splits equally when every weight is zero
  return (canary / (stable + canary)) * 100;
}

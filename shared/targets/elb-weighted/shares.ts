/**
 * ELB weights are integers from 0 to 999 per target group, and a group's share is its weight over the
 * sum. A step's percentage is the canary's share of that sum, written as the pair of weights whose
 * share is closest, ties to the smallest pair: 12.5% is canary 1, stable 7 (1/8 exactly); 10% is 1 and
 * 9; 33.3% is 333 and 667. Pure.
 */

export const MAX_WEIGHT = 999;

/** The smallest canary share two target groups can give: weights 999 and 1. */
export const MIN_SHARE_PERCENT = 100 / (MAX_WEIGHT + 1);

export interface WeightPair {
  stable: number;
  canary: number;
  /** The canary's share that this pair gives, in percent. */
  percent: number;
}

/**
 * The integer weights whose canary share is closest to `percent`. Below 100% the stable side keeps a
 * weight (promotion is its own step); above 0% the canary has one (a share asked for is never rounded
 * to nothing: Plan refuses steps below the smallest).
 */
export function closestWeights(percent: number): WeightPair {
  if (!(percent >= 0 && percent <= 100))
    throw new RangeError(`a canary share must be 0-100%, got ${percent}`);
  if (percent === 0) return { stable: 1, canary: 0, percent: 0 };
  if (percent === 100) return { stable: 0, canary: 1, percent: 100 };
  if (percent <= MIN_SHARE_PERCENT) return { stable: MAX_WEIGHT, canary: 1, percent: MIN_SHARE_PERCENT };
  const target = percent / 100;
  let best: WeightPair = { stable: MAX_WEIGHT, canary: 1, percent: MIN_SHARE_PERCENT };
  let bestError = Number.POSITIVE_INFINITY;
  for (let canary = 1; canary <= MAX_WEIGHT; canary++) {
    const ideal = (canary * (1 - target)) / target;
    for (const stable of [Math.floor(ideal), Math.ceil(ideal)]) {
      if (stable < 1 || stable > MAX_WEIGHT) continue;
      const share = canary / (stable + canary);
      const error = Math.abs(share - target);
      // Ascending canary weights: the first pair at the smallest error is the smallest such pair.
      if (error < bestError - 1e-12) {
        best = { stable, canary, percent: share * 100 };
        bestError = error;
      }
    }
  }
  return best;
}

/** The canary's share, in percent, of the weights of every target group in the forward action. */
export function shareOf(canary: number, total: number): number {
  return total === 0 ? 0 : (canary / total) * 100;
}

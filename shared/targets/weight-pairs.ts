/**
 * Targets that split traffic by integer weights (a share is a weight over the sum): the pair of weights,
 * each 1 to `maxWeight`, whose canary share is closest to a requested percentage. Route 53 and ELB differ
 * only in their largest weight and in which of equally close pairs they prefer. Pure.
 */

export interface WeightPair {
  stable: number;
  canary: number;
  /** The canary's share that this pair gives, in percent. */
  percent: number;
}

/**
 * The closest pair to `percent`, strictly between 0% and 100%: both sides keep a weight (promotion is
 * its own step, and a share asked for is never rounded to nothing). Among equally close pairs, the
 * `smallest` (fewest units, e.g. 1:7 for 12.5%) or the `largest` total (finest steps later).
 */
export function closestPair(percent: number, maxWeight: number, prefer: 'smallest' | 'largest'): WeightPair {
  const smallestShare = 100 / (maxWeight + 1);
  if (percent <= smallestShare) return { stable: maxWeight, canary: 1, percent: smallestShare };
  const target = percent / 100;
  let best: WeightPair = { stable: maxWeight, canary: 1, percent: smallestShare };
  let bestError = Number.POSITIVE_INFINITY;
  let bestTotal = maxWeight + 1;
  for (let canary = 1; canary <= maxWeight; canary++) {
    // For a given canary weight, the best stable weight is next to canary·(1−p)/p.
    const ideal = (canary * (1 - target)) / target;
    for (const stable of [Math.floor(ideal), Math.ceil(ideal)]) {
      if (stable < 1 || stable > maxWeight) continue;
      const share = canary / (stable + canary);
      const error = Math.abs(share - target);
      const total = stable + canary;
      const closer = error < bestError - 1e-12;
      const asClose = Math.abs(error - bestError) <= 1e-12;
      const preferred = prefer === 'largest' ? total > bestTotal : total < bestTotal;
      if (closer || (asClose && preferred)) {
        best = { stable, canary, percent: share * 100 };
        bestError = error;
        bestTotal = total;
      }
    }
  }
  return best;
}

/** Refuses a share outside 0-100%, naming it. */
export function checkShare(percent: number): void {
  if (!(percent >= 0 && percent <= 100))
    throw new RangeError(`a canary share must be 0-100%, got ${percent}`);
}

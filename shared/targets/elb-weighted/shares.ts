/**
 * ELB weights are integers from 0 to 999 per target group, and a group's share is its weight over the
 * sum. A step's percentage is the canary's share of that sum, written as the pair of weights whose
 * share is closest, ties to the smallest pair: 12.5% is canary 1, stable 7 (1/8 exactly); 10% is 1 and
 * 9; 33.3% is 333 and 667. Pure.
 */

import { checkShare, closestPair, type WeightPair } from '../weight-pairs';

export type { WeightPair };

export const MAX_WEIGHT = 999;

/** The smallest canary share two target groups can give: weights 999 and 1. */
export const MIN_SHARE_PERCENT = 100 / (MAX_WEIGHT + 1);

/**
 * The integer weights whose canary share is closest to `percent`. Below 100% the stable side keeps a
 * weight (promotion is its own step); above 0% the canary has one (a share asked for is never rounded
 * to nothing: Plan refuses steps below the smallest).
 */
export function closestWeights(percent: number): WeightPair {
  checkShare(percent);
  if (percent === 0) return { stable: 1, canary: 0, percent: 0 };
  if (percent === 100) return { stable: 0, canary: 1, percent: 100 };
  return closestPair(percent, MAX_WEIGHT, 'smallest');
}

/** The canary's share, in percent, of the weights of every target group in the forward action. */
export function shareOf(canary: number, total: number): number {
  return total === 0 ? 0 : (canary / total) * 100;
}

/**
 * Route 53 weights are integers from 0 to 255, and a record's share is its weight over the sum. A
 * requested percentage maps to the closest share some pair of weights reaches. Pure.
 */

import { checkShare, closestPair, type WeightPair } from '../weight-pairs';

export type { WeightPair };

export const MAX_WEIGHT = 255;

/** The smallest canary share two records can give: weights 255 and 1. */
export const MIN_SHARE_PERCENT = 100 / (MAX_WEIGHT + 1);

/**
 * The integer weights whose canary share is closest to `percent`; among equally close pairs, the one
 * with the largest total (finest steps later). Never both zero: Route 53 would then split traffic
 * equally between the records.
 */
export function closestWeights(percent: number): WeightPair {
  checkShare(percent);
  if (percent === 0) return { stable: MAX_WEIGHT, canary: 0, percent: 0 };
  if (percent === 100) return { stable: 0, canary: MAX_WEIGHT, percent: 100 };
  return closestPair(percent, MAX_WEIGHT, 'largest');
}

/** The canary's share, in percent, of a pair of weights as Route 53 splits them. */
export function shareOf(stable: number, canary: number): number {
  if (stable + canary === 0) return 50; // Route 53 splits equally when every weight is zero
  return (canary / (stable + canary)) * 100;
}

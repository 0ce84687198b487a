/**
 * An anytime-valid test that the canary's error rate is no worse than the baseline's, in the spirit of
 * Lindon & Malek (NeurIPS 2022) and Lindon, Sanden & Shirikian (KDD 2022). Pure: plain numbers in and out.
 *
 * Model: in each minute, errors on each arm are Poisson with mean requests × rate. Given that minute's
 * total errors e, the canary's share is Binomial(e, p) with p = n_c·ρ / (n_c·ρ + n_b), where ρ is the
 * canary/baseline rate ratio and n_c, n_b are the arms' requests. Conditioning on e removes the unknown
 * baseline rate, so the control group absorbs shared load and incident effects.
 *
 * H0: ρ ≤ ρ0 = 1 + tolerance. The statistic is a mixture, over a grid of alternatives ρ > ρ0, of
 * likelihood ratios against ρ0. Each ratio is a non-negative supermartingale under H0 (the binomial has a
 * monotone likelihood ratio), and so is their average. By Ville's inequality P(sup_t M_t ≥ 1/α) ≤ α: the
 * false-rollback rate stays within α however many times, and whenever, the test is looked at.
 */

export interface ArmCounts {
  requests: number;
  errors: number;
}

/** One minute of both arms, measured over the same interval. */
export interface PairedMinute {
  at: string;
  canary: ArmCounts;
  baseline: ArmCounts;
}

export interface TestOptions {
  alpha: number;
  tolerance: number;
}

export interface TestResult {
  /** The mixture likelihood ratio (an e-value). Rollback when it reaches `threshold`. */
  eValue: number;
  threshold: number;
  rejected: boolean;
  /** Canary error rate divided by baseline error rate over the same minutes (null when undefined). */
  rateRatio: number | null;
}

/**
 * Alternatives the mixture spreads its weight over, as multiples of ρ0: from a 1.5x regression to a
 * 64x one, evenly on a log scale. Fewer points cost less evidence (the price of a K-point mixture is at
 * most log K), more points fit the true ratio more closely; nine is a good compromise (docs/ANALYSIS.md).
 */
export const ALTERNATIVE_MULTIPLIERS: readonly number[] = [1.5, 2, 3, 4, 6, 8, 16, 32, 64];

/** Runs the sequential test over every minute observed so far. */
export function rateRatioTest(minutes: readonly PairedMinute[], options: TestOptions): TestResult {
  const rho0 = 1 + options.tolerance;
  const logLr = ALTERNATIVE_MULTIPLIERS.map(() => 0);
  for (const minute of minutes) {
    const { canary, baseline } = minute;
    const errors = canary.errors + baseline.errors;
    // A minute without errors, or without traffic on one arm, says nothing about the ratio.
    if (errors === 0 || canary.requests <= 0 || baseline.requests <= 0) continue;
    const p0 = share(canary.requests, baseline.requests, rho0);
    ALTERNATIVE_MULTIPLIERS.forEach((multiplier, i) => {
      const p = share(canary.requests, baseline.requests, rho0 * multiplier);
      logLr[i] =
        (logLr[i] ?? 0) + canary.errors * Math.log(p / p0) + baseline.errors * Math.log((1 - p) / (1 - p0));
    });
  }
  const eValue = Math.exp(logMeanExp(logLr));
  const threshold = 1 / options.alpha;
  return { eValue, threshold, rejected: eValue >= threshold, rateRatio: rateRatio(minutes) };
}

function share(canaryRequests: number, baselineRequests: number, ratio: number): number {
  return (canaryRequests * ratio) / (canaryRequests * ratio + baselineRequests);
}

function logMeanExp(values: readonly number[]): number {
  const max = Math.max(...values);
  const sum = values.reduce((acc, v) => acc + Math.exp(v - max), 0);
  return max + Math.log(sum / values.length);
}

function rateRatio(minutes: readonly PairedMinute[]): number | null {
  const total = sumArms(minutes);
  if (total.canary.requests === 0 || total.baseline.requests === 0 || total.baseline.errors === 0)
    return null;
  return total.canary.errors / total.canary.requests / (total.baseline.errors / total.baseline.requests);
}

/** Totals per arm over the given minutes. */
export function sumArms(minutes: readonly PairedMinute[]): { canary: ArmCounts; baseline: ArmCounts } {
  const total = { canary: { requests: 0, errors: 0 }, baseline: { requests: 0, errors: 0 } };
  for (const m of minutes) {
    total.canary.requests += m.canary.requests;
    total.canary.errors += m.canary.errors;
    total.baseline.requests += m.baseline.requests;
    total.baseline.errors += m.baseline.errors;
  }
  return total;
}

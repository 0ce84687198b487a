/**
 * Anytime-valid tests that compare the canary with the baseline, minute by minute, in the spirit of
 * Lindon & Malek (NeurIPS 2022) and Lindon, Sanden & Shirikian (KDD 2022). Pure: plain numbers in and out.
 *
 * Model: in each minute, the events of each arm (errors among requests, or slow requests among latency
 * samples) are Poisson with mean trials × rate. Given that minute's total events e, the canary's share is
 * Binomial(e, p) with p = n_c·ρ / (n_c·ρ + n_b), where ρ is the canary/baseline rate ratio and n_c, n_b
 * are the arms' trials. Conditioning on e removes the unknown baseline rate, so the control group absorbs
 * shared load and incident effects.
 *
 * Each test is a mixture, over a grid of alternatives, of likelihood ratios against a null. Each ratio is
 * a non-negative supermartingale under its null (the binomial has a monotone likelihood ratio), and so is
 * their weighted average. By Ville's inequality P(sup_t M_t ≥ 1/α) ≤ α: the error rate stays within α
 * however many times, and whenever, the test is looked at.
 *
 * Overdispersion: each minute's log-likelihood ratio is divided by that minute's dispersion φ ≥ 1 (how
 * much more the counts vary than Poisson). For errors that come in clusters of k this is exact with φ = k.
 */

/** Trials and events of one arm in one minute: requests and errors, or latency samples and slow ones. */
export interface Trials {
  trials: number;
  events: number;
}

export interface PairedTrials {
  canary: Trials;
  baseline: Trials;
}

export interface ArmCounts {
  requests: number;
  errors: number;
}

/** Latency samples of one arm in one minute, and how many were slower than the arm's threshold. */
export interface LatencyCounts {
  samples: number;
  slow: number;
}

/** One minute of both arms, measured over the same interval. */
export interface PairedMinute {
  at: string;
  canary: ArmCounts;
  baseline: ArmCounts;
  /**
   * Error series that had no datapoint in this minute although their arm served requests (read as 0
   * above), e.g. `canary.errors`. Absent when every series reported.
   */
  missing?: string[];
  /** Per latency statistic (e.g. `p99`): samples and requests slower than the rollout's thresholds. */
  latency?: Record<string, { canary: LatencyCounts; baseline: LatencyCounts }>;
}

/** A weighted set of alternatives. Weights sum to at most 1; what is left over is never spent. */
interface Mixture {
  ratios: readonly number[];
  weights: readonly number[];
}

/**
 * Regressions the mixture spreads most of its weight over, as multiples of ρ0: from 1.5x to 64x on a log
 * scale, heaviest between 2x and 8x, where an early rollback saves the most failed requests (a 20x
 * regression is caught fast even with a small weight). 90% of the weight; the rest is the fine grid below.
 */
export const REGRESSION_MULTIPLIERS: readonly number[] = [1.5, 2, 3, 4, 6, 8, 16, 32, 64];
const REGRESSION_WEIGHTS: readonly number[] = [0.09, 0.14, 0.16, 0.16, 0.13, 0.09, 0.06, 0.04, 0.03];

/**
 * The fine grid: multipliers 1 + 2^-i (1.25, 1.125, …) with weights 0.1 · 2^-(i-1), summing to 0.1 over
 * all i ≥ 2. Only those the data can resolve are computed (a ratio 1 + δ needs about 1/δ² events to tell
 * from 1); the rest only add to the mixture, so leaving them out keeps the test valid. With enough data
 * every ratio above ρ0 is eventually detected: the tolerance means what it says.
 */
function fineGrid(totalEvents: number): { multipliers: number[]; weights: number[] } {
  const deepest = Math.min(40, Math.max(2, Math.ceil(2 + 0.5 * Math.log2(totalEvents + 1))));
  const multipliers: number[] = [];
  const weights: number[] = [];
  for (let i = 2; i <= deepest; i++) {
    multipliers.push(1 + 2 ** -i);
    weights.push(0.1 * 2 ** -(i - 1));
  }
  return { multipliers, weights };
}

export interface RegressionOptions {
  alpha: number;
  /** The largest canary/baseline ratio that is not a regression: 1 + tolerance. */
  nullRatio: number;
  /** φ of each minute (≥ 1); 1 where absent. */
  dispersion?: readonly number[];
}

export interface TestResult {
  /** The mixture likelihood ratio (an e-value). */
  eValue: number;
  threshold: number;
  /** True once the e-value has reached the threshold. */
  rejected: boolean;
}

/** The e-value against "the canary's rate is at most nullRatio × the baseline's". */
export function regressionTest(minutes: readonly PairedTrials[], options: RegressionOptions): TestResult {
  const rho0 = options.nullRatio;
  const totalEvents = minutes.reduce((sum, m) => sum + m.canary.events + m.baseline.events, 0);
  const fine = fineGrid(totalEvents);
  const multipliers = [...REGRESSION_MULTIPLIERS, ...fine.multipliers];
  const mixture: Mixture = {
    ratios: multipliers.map((m) => rho0 * m),
    weights: [...REGRESSION_WEIGHTS, ...fine.weights],
  };
  const eValue = mixtureEValue(minutes, rho0, mixture, options.dispersion);
  const threshold = 1 / options.alpha;
  return { eValue, threshold, rejected: eValue >= threshold };
}

/** What "at least maxRegression worse" means: a ratio to the baseline's rate and an absolute floor. */
export interface MaxRegression {
  /** A canary failing this many times as often as the baseline is a regression (e.g. 4). */
  ratio: number;
  /** ... if it also fails at least this much more often, as a fraction (0.005 = 0.5 points). */
  floor: number;
}

export interface SafetyOptions {
  beta: number;
  maxRegression: MaxRegression;
  /** φ of the canary's share of each minute's errors (the ratio part). */
  dispersion?: readonly number[];
  /** φ of each arm's own counts per minute (the difference part); the ratio part's where absent. */
  armDispersion?: { canary: readonly number[]; baseline: readonly number[] };
  /** The stable version's rate over its last hour: where the difference part's estimates start. */
  priorRate?: number | null;
  /** The stable version's last hour (requests, errors, its φ): the history part's rate, read at Plan. */
  history?: HistoryCounts;
}

/** The stable version's errors over its last hour, as Plan read them, and how much they vary beyond Poisson. */
export interface HistoryCounts {
  requests: number;
  errors: number;
  phi: number;
}

/** The ratio part's alternatives, given maxRegression.ratio r: as good as the baseline, better, and between. */
const SAFETY_RATIOS: ReadonlyArray<(r: number) => number> = [
  () => 1,
  () => 0.5,
  (r) => r ** (1 / 3),
  (r) => r ** (2 / 3),
];
/** Most weight on "as good as the baseline", where a healthy canary is. */
export const SAFETY_WEIGHTS: readonly number[] = [0.6, 0.1, 0.18, 0.12];

export interface SafetyResult extends TestResult {
  /** The ratio part: evidence that the canary's rate is below ratio × the baseline's. */
  ratioEValue: number;
  /** The difference part: evidence that the canary's rate is below the baseline's plus the floor. */
  differenceEValue: number;
  /** The history part, when the stable version's last hour is used (analysis.historyEvidence). */
  history?: HistoryEvidence;
}

/**
 * The ratio part's share of the safety evidence, fixed before the rollout from the stable version's last
 * hour, so the choice sees none of the data it weighs. Against a baseline that (nearly) never fails, no
 * ratio can be shown, and the difference part gets most; against one that fails at half the floor or
 * more, the ratio part is usually the quicker and gets more.
 */
export function ratioWeight(priorRate: number | null | undefined, floor: number): number {
  if (priorRate === null || priorRate === undefined) return 0.5;
  if (priorRate < floor / 10) return 0.1;
  if (priorRate >= floor / 2) return 0.9;
  return 0.5;
}

/**
 * The e-value against "the canary is at least maxRegression worse": its rate c is at least
 * max(ratio × b, b + floor), with b the baseline's rate. That set lies inside {ρ ≥ ratio} and inside
 * {c ≥ b + floor}, so an e-process for either is one for it, and so is their weighted average:
 *
 * - ratio part: the conditional binomial above, alternatives ρ < ratio against ρ = ratio. Most of its
 *   weight is on ρ = 1 (a canary as good as the baseline), the rest on 0.5, ratio^(1/3) and ratio^(2/3).
 *   It needs no assumption on how the baseline's rate moves.
 * - difference part: the likelihood of both arms' counts under running estimates of both rates, over the
 *   largest likelihood any pair with c ≥ b + floor reaches (Wasserman, Ramdas & Balakrishnan's universal
 *   inference, an e-process for a composite null). It assumes each arm's rate is steady over the rollout;
 *   it lets a service whose baseline never fails promote (no ratio can be shown against zero), and a canary
 *   that has most of the traffic, whose baseline is too quiet for the ratio part.
 *
 * Promotion on this evidence bounds the chance of promoting such a canary by beta, at any traffic level.
 */
export function safetyTest(minutes: readonly PairedTrials[], options: SafetyOptions): SafetyResult {
  const { ratio, floor } = options.maxRegression;
  const ratioMixture: Mixture = { ratios: SAFETY_RATIOS.map((f) => f(ratio)), weights: SAFETY_WEIGHTS };
  const armDispersion = options.armDispersion ?? {
    canary: options.dispersion ?? [],
    baseline: options.dispersion ?? [],
  };
  const w = ratioWeight(options.priorRate, floor);
  const ratioEValue = mixtureEValue(minutes, ratio, ratioMixture, options.dispersion);
  const differenceEValue = differenceEValueOf(minutes, floor, armDispersion, options.priorRate ?? null);
  const paired = w * ratioEValue + (1 - w) * differenceEValue;
  const threshold = 1 / options.beta;
  const history =
    options.history &&
    historyEValueOf(minutes, options.maxRegression, options.history, options.beta, armDispersion);
  if (!history)
    return { eValue: paired, threshold, rejected: paired >= threshold, ratioEValue, differenceEValue };
  // Dropped for good, or doubted at this check: the part counts nothing.
  const historyPart = history.doubted || history.droppedAt !== undefined ? 0 : history.eValue;
  const eValue = (1 - HISTORY_DELTA_SHARE) * ((1 - HISTORY_WEIGHT) * paired + HISTORY_WEIGHT * historyPart);
  return { eValue, threshold, rejected: eValue >= threshold, ratioEValue, differenceEValue, history };
}

/**
 * The share of beta set aside for the chance that the stable version's last hour overstated its rate (the
 * history part's bound is wrong): the mixture is scaled by 1 − this, and the bound holds with probability
 * 1 − this × beta, so promotion still spends at most beta in all.
 */
export const HISTORY_DELTA_SHARE = 0.05;

/** The history part's share of the safety evidence when it is used; the paired parts share the rest. */
export const HISTORY_WEIGHT = 0.8;

/**
 * Evidence that the rollout's baseline fails less often than the stable version did over its hour (the
 * likelihood ratio of its rate so far against the hour's) at which the history part is dropped: the
 * stable version's rate has moved, and the hour no longer says what "maxRegression worse" is. A trade,
 * measured by npm run bench before HISTORY_DOUBT_EVIDENCE below: lower drops it in more healthy rollouts
 * whose baseline merely had a quiet few minutes (4: 2.9% of healthy rollouts from 5% rolled back for want
 * of evidence); higher keeps it longer after a real fall (100: 4.65% of canaries 4x the fallen baseline
 * promoted, 10: 2.65%; 1.20% with the doubt level as well).
 */
export const HISTORY_DRIFT_EVIDENCE = 10;

/**
 * Evidence of the same fall at which the history part stops counting for the check at hand, without being
 * dropped: it counts again once more of the baseline's minutes agree with the hour. Leaving a part out of
 * one check only lowers the evidence, so it costs no beta; it halved the promotions in `baseline-fell`
 * (2.60% to 1.00%) and left the healthy rollouts' figures as they were.
 */
export const HISTORY_DOUBT_EVIDENCE = 2;

/** The history part: evidence against "the canary fails at least maxRegression worse than the stable version's hour". */
export interface HistoryEvidence {
  eValue: number;
  /** The lower bound on the stable version's rate the null is built on. */
  bound: number;
  /** The canary rate the canary is tested against: max(ratio × bound, bound + floor). */
  nullRate: number;
  /**
   * The baseline's minutes so far lean toward the stable version failing less often than in its hour
   * (HISTORY_DOUBT_EVIDENCE): the part does not count at this check, though it is kept.
   */
  doubted?: boolean;
  /** The minute (index among those judged) from which the baseline's rate contradicted the hour: 0 since. */
  droppedAt?: number;
}

/**
 * The lowest rate b with n·KL(k/n ‖ b) ≤ ln(1/δ), for k Poisson events in n trials: by Chernoff's bound
 * the rate is below it with probability at most δ. 0 without events.
 */
export function lowerRateBound(events: number, trials: number, delta: number): number {
  if (!(trials > 0) || !(events > 0)) return 0;
  const hat = events / trials;
  const budget = Math.log(1 / delta);
  let lo = 0;
  let hi = hat;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (trials * poissonKl(hat, mid) > budget) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** KL(Poisson(a) ‖ Poisson(b)) per unit of exposure. */
function poissonKl(a: number, b: number): number {
  if (a <= 0) return b;
  return b - a + a * Math.log(a / b);
}

/**
 * The history part: the canary's own counts against a fixed rate c0 = max(ratio × b_L, b_L + floor),
 * b_L the lower bound (at δ = HISTORY_DELTA_SHARE × beta) on the stable version's rate over its last hour,
 * its counts divided by its φ. Alternatives below c0 (the hour's rate, half of it, and c0 / ratio^(2/3),
 * c0 / ratio^(1/3)), weighted as the ratio part's; each minute's log-likelihood ratio divided by the
 * canary's φ. Binomial likelihood ratios are monotone, so each is a supermartingale for every c ≥ c0.
 * It assumes the stable version's rate is the same in the rollout as in the hour: from the first minute
 * the rollout's baseline shows it failing less often than in the hour (HISTORY_DRIFT_EVIDENCE), the part is
 * dropped (0 from then on), a choice made from earlier minutes only, so it stays a supermartingale.
 */
function historyEValueOf(
  minutes: readonly PairedTrials[],
  maxRegression: MaxRegression,
  history: HistoryCounts,
  beta: number,
  dispersion: { canary: readonly number[]; baseline: readonly number[] },
): HistoryEvidence | undefined {
  if (!(history.requests > 0)) return undefined;
  const phi = Math.max(1, history.phi);
  const bound = lowerRateBound(history.errors / phi, history.requests / phi, HISTORY_DELTA_SHARE * beta);
  const nullRate = Math.max(maxRegression.ratio * bound, bound + maxRegression.floor);
  if (!(nullRate < 1)) return undefined;
  const typical = Math.max(history.errors / history.requests, nullRate / (2 * maxRegression.ratio));
  const alternatives = [
    typical,
    typical / 2,
    nullRate * maxRegression.ratio ** (-2 / 3),
    nullRate * maxRegression.ratio ** (-1 / 3),
  ].map((c) => Math.min(c, nullRate));
  const logLr = alternatives.map(() => 0);
  const baseline = { events: 0, trials: 0 };
  for (let s = 0; s < minutes.length; s++) {
    if (drifted(baseline, history.errors / history.requests)) {
      return { eValue: 0, bound, nullRate, droppedAt: s };
    }
    const minute = minutes[s] as PairedTrials;
    const temperC = 1 / Math.max(1, dispersion.canary[s] ?? 1);
    const temperB = 1 / Math.max(1, dispersion.baseline[s] ?? 1);
    const { events, trials } = minute.canary;
    alternatives.forEach((c, j) => {
      logLr[j] =
        (logLr[j] as number) +
        temperC * (logBinomial(events, trials, c) - logBinomial(events, trials, nullRate));
    });
    baseline.events += temperB * minute.baseline.events;
    baseline.trials += temperB * Math.max(0, minute.baseline.trials);
  }
  const eValue = weightedSumExp(logLr, SAFETY_WEIGHTS);
  const doubted = drifted(baseline, history.errors / history.requests, HISTORY_DOUBT_EVIDENCE);
  return { eValue, bound, nullRate, ...(doubted ? { doubted } : {}) };
}

/** The rollout's baseline so far fails less often than over the hour, by HISTORY_DRIFT_EVIDENCE or more. */
function drifted(
  baseline: { events: number; trials: number },
  hourRate: number,
  level = HISTORY_DRIFT_EVIDENCE,
): boolean {
  if (!(baseline.trials > 0) || !(hourRate > 0)) return false;
  const rate = baseline.events / baseline.trials;
  return rate < hourRate && baseline.trials * poissonKl(rate, hourRate) >= Math.log(level);
}

/** Pseudo-requests of the stable version's history each running estimate starts from. */
const PRIOR_PSEUDO_REQUESTS = 500;

/**
 * The difference part: Π_s p(k_s | ĉ_{s−1}, b̂_{s−1}) / sup_{c ≥ b + f} Π_s p(k_s | c, b), each minute's
 * log-likelihood divided by its φ. The numerator bets on estimates made before each minute (predictable),
 * starting from the stable version's rate; the denominator is the best fit inside the null.
 */
function differenceEValueOf(
  minutes: readonly PairedTrials[],
  floor: number,
  dispersion: { canary: readonly number[]; baseline: readonly number[] },
  priorRate: number | null,
): number {
  if (!(floor > 0 && floor < 1)) return 0;
  const start = Math.min(0.5, Math.max(1e-4, priorRate ?? floor / 2));
  const sums = { ck: 0, cn: 0, bk: 0, bn: 0 };
  let numerator = 0;
  const clamp = (p: number) => Math.min(1 - 1e-9, Math.max(1e-9, p));
  minutes.forEach((minute, s) => {
    const temperC = 1 / Math.max(1, dispersion.canary[s] ?? 1);
    const temperB = 1 / Math.max(1, dispersion.baseline[s] ?? 1);
    const { canary, baseline } = minute;
    const c = clamp((sums.ck + start * PRIOR_PSEUDO_REQUESTS) / (sums.cn + PRIOR_PSEUDO_REQUESTS));
    const b = clamp((sums.bk + start * PRIOR_PSEUDO_REQUESTS) / (sums.bn + PRIOR_PSEUDO_REQUESTS));
    numerator +=
      temperC * logBinomial(canary.events, canary.trials, c) +
      temperB * logBinomial(baseline.events, baseline.trials, b);
    sums.ck += temperC * canary.events;
    sums.cn += temperC * Math.max(0, canary.trials);
    sums.bk += temperB * baseline.events;
    sums.bn += temperB * Math.max(0, baseline.trials);
  });
  if (sums.cn === 0) return 0;
  const denominator = nullFit(sums, floor);
  return Math.exp(numerator - denominator);
}

/** k·log p + (n − k)·log(1 − p), with 0·log 0 = 0. */
function logBinomial(k: number, n: number, p: number): number {
  if (n <= 0) return 0;
  return (k > 0 ? k * Math.log(p) : 0) + (n - k > 0 ? (n - k) * Math.log(1 - p) : 0);
}

/** The largest (tempered) log-likelihood of both arms' totals over rates with c ≥ b + floor. */
function nullFit(sums: { ck: number; cn: number; bk: number; bn: number }, floor: number): number {
  const both = (c: number, b: number) => logBinomial(sums.ck, sums.cn, c) + logBinomial(sums.bk, sums.bn, b);
  const cHat = sums.ck / sums.cn;
  const bHat = sums.bn > 0 ? sums.bk / sums.bn : 0;
  if (cHat >= bHat + floor) return both(cHat, bHat);
  // Otherwise the best fit lies on c = b + floor; the log-likelihood is concave in b there.
  const slope = (b: number) =>
    sums.ck / (b + floor) -
    (sums.cn - sums.ck) / (1 - b - floor) +
    (sums.bn > 0 ? sums.bk / b - (sums.bn - sums.bk) / (1 - b) : 0);
  let lo = 0;
  let hi = 1 - floor;
  if (slope(lo + 1e-12) <= 0) return both(floor, 0);
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (slope(mid) > 0) lo = mid;
    else hi = mid;
  }
  const b = (lo + hi) / 2;
  return both(Math.min(1, b + floor), b);
}

/**
 * Σ_j w_j Π_s LR_s(ρ_j vs ρ_null)^(1/φ_s), the conditional binomial likelihood ratio of each alternative,
 * tempered by each minute's dispersion. A minute without events, or without trials on one arm, says nothing
 * about the ratio and is skipped.
 */
function mixtureEValue(
  minutes: readonly PairedTrials[],
  nullRatio: number,
  mixture: Mixture,
  dispersion: readonly number[] | undefined,
): number {
  const k = mixture.ratios.length;
  const logLr = new Array<number>(k).fill(0);
  for (let s = 0; s < minutes.length; s++) {
    const minute = minutes[s] as PairedTrials;
    const kc = minute.canary.events;
    const kb = minute.baseline.events;
    const nc = minute.canary.trials;
    const nb = minute.baseline.trials;
    if (kc + kb === 0 || nc <= 0 || nb <= 0) continue;
    const temper = 1 / Math.max(1, dispersion?.[s] ?? 1);
    // log p(ρ) = log(n_c ρ) − log(n_c ρ + n_b) and log(1 − p(ρ)) = log n_b − log(n_c ρ + n_b), so the
    // ratio against ρ0 is k_c·log(ρ/ρ0) − (k_c + k_b)·log((n_c ρ + n_b) / (n_c ρ0 + n_b)).
    const logNull = Math.log(nc * nullRatio + nb);
    for (let j = 0; j < k; j++) {
      const ratio = mixture.ratios[j] as number;
      logLr[j] =
        (logLr[j] as number) +
        temper * (kc * Math.log(ratio / nullRatio) - (kc + kb) * (Math.log(nc * ratio + nb) - logNull));
    }
  }
  return weightedSumExp(logLr, mixture.weights);
}

function share(canaryTrials: number, baselineTrials: number, ratio: number): number {
  return (canaryTrials * ratio) / (canaryTrials * ratio + baselineTrials);
}

function weightedSumExp(logs: readonly number[], weights: readonly number[]): number {
  const max = Math.max(...logs);
  if (max === Number.NEGATIVE_INFINITY) return 0;
  const sum = logs.reduce((acc, v, i) => acc + (weights[i] ?? 0) * Math.exp(v - max), 0);
  return Math.exp(max + Math.log(sum));
}

/** Pearson's X² of a series of counts around its own pooled rate, and its degrees of freedom. */
export interface DispersionStat {
  chi2: number;
  dof: number;
}

/**
 * How much more the events vary from minute to minute than Poisson counts would: X² / dof estimates φ
 * (1 for Poisson, k for events in clusters of k). Minutes without trials are left out.
 */
export function pearson(series: readonly Trials[]): DispersionStat {
  const sums = { minutes: 0, trials: 0, events: 0, squares: 0 };
  for (const t of series) addToSums(sums, t);
  return fromSums(sums);
}

interface PearsonSums {
  minutes: number;
  trials: number;
  events: number;
  /** Σ events² / trials: with the totals it gives X² = Σ (e − n·r)² / (n·r) = squares / r − events. */
  squares: number;
}

function addToSums(sums: PearsonSums, t: Trials): void {
  if (t.trials <= 0) return;
  sums.minutes += 1;
  sums.trials += t.trials;
  sums.events += t.events;
  sums.squares += (t.events * t.events) / t.trials;
}

function fromSums(sums: PearsonSums): DispersionStat {
  if (sums.minutes < 2 || sums.events === 0) return { chi2: 0, dof: 0 };
  const rate = sums.events / sums.trials;
  return { chi2: Math.max(0, sums.squares / rate - sums.events), dof: sums.minutes - 1 };
}

/** φ from pooled statistics: X² / dof, never below 1 (the test is not made bolder than Poisson). */
export function dispersionOf(...stats: readonly DispersionStat[]): number {
  const chi2 = stats.reduce((sum, s) => sum + s.chi2, 0);
  const dof = stats.reduce((sum, s) => sum + s.dof, 0);
  return dof > 0 ? Math.max(1, chi2 / dof) : 1;
}

/** How far below its mean X² may fall by chance before φ is taken as estimated: one-sided, 90%. */
const DISPERSION_CONFIDENCE_Z = 1.2816;
/** The most upperDispersion scales the excess over Poisson by. */
const MAX_DISPERSION_FACTOR = 2;

/**
 * An upper confidence bound on φ estimated as X² / dof: the excess over Poisson (φ − 1) scaled by how far
 * X² can fall below its mean by chance (its 10% quantile, Wilson–Hilferty), so that φ is not taken
 * smaller than it is. Tempering by too small a φ overstates the evidence: errors in bursts of three read
 * with φ 2.4 instead of 3 made 1.1% of identical canaries roll back against an alpha of 1% (issue 9). A
 * Poisson series (φ 1) stays at 1, so the tests lose nothing where the model holds. The excess is at
 * most doubled (the factor for 10 degrees of freedom): a history of a few minutes says too little for a
 * bound, and one of 190 times the excess (1 degree of freedom) would leave a canary unjudgeable.
 */
export function upperDispersion(phi: number, dof: number): number {
  if (phi <= 1 || dof <= 0) return Math.max(1, phi);
  const a = 2 / (9 * dof);
  const low = dof * (1 - a - DISPERSION_CONFIDENCE_Z * Math.sqrt(a)) ** 3;
  const factor = low > 0 ? Math.min(MAX_DISPERSION_FACTOR, dof / low) : MAX_DISPERSION_FACTOR;
  return 1 + (phi - 1) * factor;
}

/** The stable version's φ as the conditional tests start from it: its upper bound, 1 without a history. */
export function historyDispersion(prior: DispersionStat | undefined): number {
  return prior && prior.dof > 0 ? upperDispersion(dispersionOf(prior), prior.dof) : 1;
}

/**
 * The dispersion of each minute, from what was known before it: the stable version's history (read at
 * Plan) and the baseline's own minutes of this rollout so far. Predictable, so each minute's tempered
 * likelihood ratio is judged with a φ fixed before the minute was seen.
 */
export function dispersionByMinute(baseline: readonly Trials[], prior?: DispersionStat): number[] {
  const sums = { minutes: 0, trials: 0, events: 0, squares: 0 };
  const before = prior ?? { chi2: 0, dof: 0 };
  return baseline.map((t) => {
    const phi = dispersionOf(before, fromSums(sums));
    addToSums(sums, t);
    return phi;
  });
}

/** How many degrees of freedom the stable version's history counts for against the rollout's own minutes. */
export const PRIOR_DISPERSION_WEIGHT = 10;

/**
 * The dispersion of the canary's share of each minute's events, for the conditional tests: from what was
 * known before the minute (predictable). It starts at the stable version's φ and moves with the rollout's
 * own minutes, each judged against the ratio seen before it. Noise both arms share (load, a dependency's
 * incident) cancels in the share, so it can only be smaller than the stable version's own: with a history,
 * the stable version's φ is also the ceiling, and a canary that changes mid-rollout cannot buy itself a
 * larger one. With a history, both are taken at their upper bounds (upperDispersion), as an estimate
 * below the truth makes the test over-confident. Without a history of errors, it starts at 1 and
 * follows the rollout's own estimate: nothing says the service is bursty, and a new failure against an
 * error-free baseline already reads as dispersion there (every error on one arm).
 */
export function conditionalDispersion(minutes: readonly PairedTrials[], prior?: DispersionStat): number[] {
  // With a history, its φ is both where the estimate starts and its ceiling.
  const ceiling = prior && prior.dof > 0 ? historyDispersion(prior) : undefined;
  const start = ceiling ?? 1;
  let chi2 = 0;
  let dof = 0;
  const totals = { ck: 0, cn: 0, bk: 0, bn: 0 };
  const out: number[] = [];
  for (const minute of minutes) {
    const shrunk = (PRIOR_DISPERSION_WEIGHT * start + chi2) / (PRIOR_DISPERSION_WEIGHT + dof);
    out.push(
      ceiling === undefined
        ? Math.max(1, shrunk)
        : Math.min(ceiling, upperDispersion(shrunk, PRIOR_DISPERSION_WEIGHT + dof)),
    );
    const { canary, baseline } = minute;
    const events = canary.events + baseline.events;
    if (events > 0 && canary.trials > 0 && baseline.trials > 0) {
      const ratio = totals.ck > 0 && totals.bk > 0 ? totals.ck / totals.cn / (totals.bk / totals.bn) : 1;
      const p = share(canary.trials, baseline.trials, ratio);
      chi2 += (canary.events - events * p) ** 2 / (events * p * (1 - p));
      dof += 1;
    }
    totals.ck += canary.events;
    totals.cn += Math.max(0, canary.trials);
    totals.bk += baseline.events;
    totals.bn += Math.max(0, baseline.trials);
  }
  return out;
}

/** Canary rate divided by baseline rate over the same minutes (null when undefined). */
export function rateRatio(minutes: readonly PairedTrials[]): number | null {
  let ct = 0;
  let ce = 0;
  let bt = 0;
  let be = 0;
  for (const m of minutes) {
    ct += m.canary.trials;
    ce += m.canary.events;
    bt += m.baseline.trials;
    be += m.baseline.events;
  }
  if (ct === 0 || bt === 0 || be === 0) return null;
  return ce / ct / (be / bt);
}

/** Requests and errors of each minute as trials and events. */
export function errorTrials(minutes: readonly PairedMinute[]): PairedTrials[] {
  return minutes.map((m) => ({
    canary: { trials: m.canary.requests, events: m.canary.errors },
    baseline: { trials: m.baseline.requests, events: m.baseline.errors },
  }));
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

/**
 * The verdict on one check: pass, fail, inconclusive or error. Pure: it judges numbers it is given.
 * No data is inconclusive, never a pass; and a canary that merely has not failed yet is inconclusive
 * too ("watching"): pass means the evidence shows it is not maxRegression worse than the baseline.
 */
import { bernoulliKl, type Prior, safetyDrift } from './history';
import {
  conditionalDispersion,
  dispersionByMinute,
  errorTrials,
  historyDispersion,
  type MaxRegression,
  type PairedMinute,
  type PairedTrials,
  rateRatio,
  regressionTest,
  type SafetyResult,
  safetyTest,
  sumArms,
  type TestResult,
} from './sequential-test';

export type VerdictKind = 'pass' | 'fail' | 'inconclusive' | 'error';

export interface ArmSummary {
  requests: number;
  errors: number;
  /** errors / requests, or null without requests. */
  errorRate: number | null;
}

export interface Evidence {
  window: { start: string; end: string };
  minutes: number;
  canary: ArmSummary;
  baseline: ArmSummary;
  /** Evidence of a regression in the error rate: rollback when eValue reaches threshold. */
  test?: {
    eValue: number;
    threshold: number;
    rateRatio: number | null;
    tolerance: number;
    /** φ of the newest minute: how much more the errors vary than Poisson (1 = not at all). */
    dispersion: number;
  };
  /** Evidence that the canary is not maxRegression worse: promotion needs eValue ≥ threshold. */
  safety?: {
    eValue: number;
    threshold: number;
    maxRegression: MaxRegression;
    /** About how many more canary requests that needs, if the canary keeps failing like the baseline. */
    moreCanaryRequests: number | null;
    /**
     * The part of it against the stable version's last hour (analysis.historyEvidence): its e-value, the
     * canary rate it tests against, and whether the rollout's baseline showed the hour no longer holds.
     */
    history?: { eValue: number; nullRate: number; dropped: boolean; doubted: boolean };
  };
  latency?: LatencyEvidence[];
  /** Series that did not report while their arm served traffic, e.g. "canary errors in 3 of 5 minutes". */
  missing?: string[];
  alarmsInAlarm: string[];
  unhealthyChecks?: string[];
}

/** Requests slower than each arm's threshold, and the evidence that the canary has more of them. */
export interface LatencyEvidence {
  statistic: string;
  thresholds: { canary: number; baseline: number };
  canary: { samples: number; slow: number };
  baseline: { samples: number; slow: number };
  eValue: number;
  threshold: number;
}

export interface Verdict {
  verdict: VerdictKind;
  reason: string;
  evidence?: Evidence;
  /**
   * Why an inconclusive verdict is inconclusive: `data` (too little, or missing, to judge at all) or
   * `evidence` (judged, no regression shown, but not yet shown safe to promote: watching).
   */
  pending?: 'data' | 'evidence';
}

export interface JudgeConfig {
  alpha: number;
  beta: number;
  tolerance: number;
  maxRegression: MaxRegression;
  minInvocations: number;
  maxErrorRate?: number | undefined;
  errors?: { publishedOnlyWhenNonZero?: boolean | undefined } | undefined;
  /** Count the canary against the stable version's last hour too (the safety test's history part). */
  historyEvidence?: boolean | undefined;
}

/** The thresholds of one latency statistic, as Plan fixed them (see history.ts). */
export interface LatencyThreshold {
  statistic: string;
  canary: number;
  baseline: number;
}

/** How the judged metrics are named in messages, e.g. "AWS/Lambda Errors". */
export interface MetricNames {
  requests: string;
  errors: string;
  latency?: string;
}

export interface JudgeInput {
  window: { start: Date; end: Date };
  minutes: readonly PairedMinute[];
  alarmsInAlarm: readonly string[];
  unhealthyChecks?: readonly string[];
  /** The latency statistics compared, with their thresholds; counts are in each minute's `latency`. */
  latency?: readonly LatencyThreshold[];
  /** The stable version's last hour, read at Plan: how much its counts vary beyond Poisson. */
  prior?: Prior | undefined;
  /** The canary has all the traffic (AllAtOnce with gates): alarms and health checks alone judge it. */
  switched?: boolean;
  names?: MetricNames;
  config: JudgeConfig;
}

/** Names used when the caller gives none. */
export const DEFAULT_NAMES: MetricNames = { requests: 'requests', errors: 'errors', latency: 'latency' };

/**
 * Judges one check from the paired per-minute counts since the canary first got traffic, in five steps:
 * validate the minutes, the gates, the error test, the latency test, the conclusion.
 */
export function judge(input: JudgeInput): Verdict {
  const { config, latency = [] } = input;
  const names = input.names ?? DEFAULT_NAMES;
  const gate = gateVerdict(input.alarmsInAlarm, input.unhealthyChecks ?? []);
  const invalid = gate ? undefined : validateMinutes(input.minutes, latency, names);
  if (gate || invalid || input.switched) return judgeWithoutTests(input, gate, invalid);
  const judged = selectJudgedMinutes(input.minutes, config);
  const alpha = splitAlpha(config.alpha, latency.length);
  const errors = errorTest(judged.minutes, config, input.prior, alpha.errors);
  const slow = latencyTests(judged.minutes, latency, alpha.latency, input.prior, names);
  return conclude({ input, judged, errors, latency: slow, alphaErrors: alpha.errors, names });
}

/**
 * Step 1: the first count that cannot be a count, as a message naming the metric and the minute. The
 * newest minute may be partly reported, and series reported apart from each other (ALB RequestCount and
 * HTTPCode_Target_5XX_Count) can show its errors before its requests: that is left out, not an error.
 */
export function validateMinutes(
  minutes: readonly PairedMinute[],
  latency: readonly LatencyThreshold[],
  names: MetricNames = DEFAULT_NAMES,
): string | undefined {
  if (!unreportedRequests(minutes.at(-1))) return findInvalid(minutes, latency, names);
  return (
    findInvalid(minutes.slice(0, -1), latency, names) ?? findInvalid(minutes.slice(-1), latency, names, false)
  );
}

/** The alarm and health-check gate (step 2): a fail when any of them fires, else undefined. */
export function gateVerdict(
  alarmsInAlarm: readonly string[],
  unhealthyChecks: readonly string[],
): Verdict | undefined {
  if (alarmsInAlarm.length > 0) {
    return { verdict: 'fail', reason: `alarm in ALARM: ${alarmsInAlarm.join(', ')}` };
  }
  if (unhealthyChecks.length > 0) {
    return { verdict: 'fail', reason: `Route 53 health check unhealthy: ${unhealthyChecks.join(', ')}` };
  }
  return undefined;
}

/** A gate fired, a count is invalid, or the canary has all the traffic: no statistical test runs. */
function judgeWithoutTests(
  input: JudgeInput,
  gate: Verdict | undefined,
  invalid: string | undefined,
): Verdict {
  const total = sumArms(input.minutes);
  const plain: Evidence = {
    ...windowOf(input),
    canary: summarize(total.canary),
    baseline: summarize(total.baseline),
    ...gatesOf(input),
  };
  if (gate) return { ...gate, evidence: plain };
  if (invalid) return { verdict: 'error', reason: invalid, evidence: plain };
  return {
    verdict: 'pass',
    reason:
      'all traffic is on the canary and its alarms and health checks are clear ' +
      `(canary ${describe(plain.canary)}; no baseline is left to compare with)`,
    evidence: plain,
  };
}

/** The minutes the tests judge, and the error series that did not report. */
export interface JudgedMinutes {
  minutes: readonly PairedMinute[];
  /** The newest minute, left out because it is not complete yet. */
  leftOut: PairedMinute | undefined;
  gaps: ErrorGaps;
  /** An error series is missing where the check cannot wait for it: errors cannot be judged. */
  errorsMissing: boolean;
}

/**
 * Errors of a minute whose error series did not report cannot be told from no errors. The newest minute
 * may simply not be complete yet and is left out (as is one reporting more errors than requests);
 * anywhere else the check cannot judge errors.
 */
export function selectJudgedMinutes(minutes: readonly PairedMinute[], config: JudgeConfig): JudgedMinutes {
  const newest = minutes.length - 1;
  const gaps = errorGaps(minutes, config);
  const newestOnly = gaps.minutes.length === 1 && gaps.minutes[0] === newest;
  const leftOut = newestOnly || unreportedRequests(minutes.at(-1)) ? minutes.at(-1) : undefined;
  return {
    minutes: leftOut ? minutes.slice(0, -1) : minutes,
    leftOut,
    gaps,
    errorsMissing: !newestOnly && gaps.minutes.length > 0,
  };
}

/** The error test takes the whole alpha, or half of it when latency is compared too (split per statistic). */
export function splitAlpha(alpha: number, latencyStatistics: number): { errors: number; latency: number } {
  if (latencyStatistics === 0) return { errors: alpha, latency: alpha };
  return { errors: alpha / 2, latency: alpha / 2 / latencyStatistics };
}

/** Step 3: the evidence of a regression in the error rate, and the evidence that there is none. */
export interface ErrorTest {
  trials: PairedTrials[];
  /** φ by minute: how much more the errors vary than Poisson. */
  phi: number[];
  regression: TestResult;
  safety: SafetyResult;
}

export function errorTest(
  minutes: readonly PairedMinute[],
  config: JudgeConfig,
  prior: Prior | undefined,
  alpha: number,
): ErrorTest {
  const trials = errorTrials(minutes);
  const priorDispersion = prior?.dispersion.errors;
  const phi = conditionalDispersion(trials, priorDispersion);
  const regression = regressionTest(trials, { alpha, nullRatio: 1 + config.tolerance, dispersion: phi });
  const safety = safetyTest(trials, {
    beta: config.beta,
    maxRegression: config.maxRegression,
    dispersion: phi,
    armDispersion: {
      canary: dispersionByMinute(
        trials.map((t) => t.canary),
        priorDispersion,
      ),
      baseline: dispersionByMinute(
        trials.map((t) => t.baseline),
        priorDispersion,
      ),
    },
    priorRate: prior && prior.requests > 0 ? prior.errors / prior.requests : null,
    ...(config.historyEvidence && prior && prior.requests > 0
      ? {
          history: {
            requests: prior.requests,
            errors: prior.errors,
            phi: historyDispersion(priorDispersion),
          },
        }
      : {}),
  });
  return { trials, phi, regression, safety };
}

/** Step 4: each latency statistic's test, and the arms that served requests but reported no latency. */
export function latencyTests(
  minutes: readonly PairedMinute[],
  latency: readonly LatencyThreshold[],
  alpha: number,
  prior: Prior | undefined,
  names: MetricNames = DEFAULT_NAMES,
): { evidence: LatencyEvidence[]; missing: string[] } {
  return {
    evidence: latency.map((l) => latencyTest(minutes, l, alpha, prior)),
    missing: latencyGaps(minutes, latency, names),
  };
}

interface Judged {
  input: JudgeInput;
  judged: JudgedMinutes;
  errors: ErrorTest;
  latency: { evidence: LatencyEvidence[]; missing: string[] };
  alphaErrors: number;
  names: MetricNames;
}

/** Step 5: the verdict the tests support, in order: no data, regression, latency, limits, data gaps, promotion. */
export function conclude(judged: Judged): Verdict {
  const { config } = judged.input;
  const { regression, safety } = judged.errors;
  const evidence = evidenceOf(judged);
  const { canary, baseline } = evidence;
  const rates = `canary ${describe(canary)} vs baseline ${describe(baseline)}`;
  const errorsMissing = judged.judged.errorsMissing;
  const pending = (reason: string): Verdict => ({
    verdict: 'inconclusive',
    pending: 'data',
    reason,
    evidence,
  });

  if (canary.requests === 0) return pending('no canary requests in the window yet');
  if (!errorsMissing && regression.rejected) {
    return {
      verdict: 'fail',
      reason:
        `canary error rate is higher than baseline's${config.tolerance > 0 ? ` beyond the ${pct(config.tolerance)} tolerance` : ''}: ${rates}; ` +
        `e-value ${round(regression.eValue)} ≥ ${round(regression.threshold)} (alpha ${round(judged.alphaErrors)})`,
      evidence,
    };
  }
  const slow = judged.latency.evidence.find((l) => l.eValue >= l.threshold);
  if (slow) {
    return {
      verdict: 'fail',
      reason:
        `canary ${slow.statistic} latency is worse than baseline's: ${slow.canary.slow}/${slow.canary.samples} canary ` +
        `requests slower than ${slow.thresholds.canary} vs ${slow.baseline.slow}/${slow.baseline.samples} baseline ` +
        `requests slower than ${slow.thresholds.baseline}; e-value ${round(slow.eValue)} ≥ ${round(slow.threshold)}`,
      evidence,
    };
  }
  if (
    config.maxErrorRate !== undefined &&
    canary.requests >= config.minInvocations &&
    (canary.errorRate ?? 0) > config.maxErrorRate
  ) {
    return {
      verdict: 'fail',
      reason: `canary error rate ${pct(canary.errorRate ?? 0)} is above maxErrorRate ${pct(config.maxErrorRate)}`,
      evidence,
    };
  }
  if (errorsMissing) {
    const hint = config.errors?.publishedOnlyWhenNonZero
      ? ''
      : '; if this metric is published only when non-zero (e.g. ALB HTTPCode_Target_5XX_Count), set ' +
        'analysis.errors.publishedOnlyWhenNonZero';
    const series = judged.judged.gaps.series.map((s) => describeGap(s, judged.names)).join(' and ');
    return pending(`no datapoints for ${series}, so its errors cannot be counted${hint}`);
  }
  if (judged.latency.missing.length > 0) {
    return pending(`no latency datapoints for ${judged.latency.missing.join(' and ')}`);
  }
  if (canary.requests < config.minInvocations) {
    return pending(
      `only ${canary.requests} canary requests so far; ${config.minInvocations} needed to judge (${rates})`,
    );
  }
  if (baseline.requests === 0) return pending('no baseline requests to compare the canary with');
  if (safety.rejected) {
    return {
      verdict: 'pass',
      reason:
        `canary shown not ${config.maxRegression.ratio}x worse than baseline: ${rates}; ` +
        `promotion evidence ${round(safety.eValue)} ≥ ${round(safety.threshold)} (beta ${round(config.beta)})`,
      evidence,
    };
  }
  const more = moreCanaryRequests(
    judged.errors.trials,
    safety.eValue,
    safety.threshold,
    config,
    judged.errors.phi,
    safety.history && safety.history.droppedAt === undefined ? safety.history.nullRate : undefined,
  );
  if (evidence.safety) evidence.safety.moreCanaryRequests = more;
  return {
    verdict: 'inconclusive',
    pending: 'evidence',
    reason:
      `watching: ${rates}; rollback evidence ${round(regression.eValue)} of ${round(regression.threshold)}, ` +
      `promotion evidence ${round(safety.eValue)} of ${round(safety.threshold)}` +
      (more === null || more === undefined
        ? ''
        : `; promotion needs about ${fmtCount(more)} more canary requests at the baseline's error rate`),
    evidence,
  };
}

/** The evidence of a judged check; the window ends where the judged minutes end (promotion waits for them). */
function evidenceOf({ input, judged, errors, latency, names }: Judged): Evidence {
  const { config } = input;
  const counted = sumArms(judged.minutes);
  const base = windowOf(input);
  const window = judged.leftOut
    ? {
        window: { ...base.window, end: new Date(judged.leftOut.at).toISOString() },
        minutes: judged.minutes.length,
      }
    : base;
  const missing = [...judged.gaps.series.map((s) => describeGap(s, names)), ...latency.missing];
  return {
    ...window,
    canary: summarize(counted.canary),
    baseline: summarize(counted.baseline),
    ...(judged.errorsMissing
      ? {}
      : {
          test: {
            eValue: round(errors.regression.eValue),
            threshold: errors.regression.threshold,
            rateRatio: roundOrNull(rateRatio(errors.trials)),
            tolerance: config.tolerance,
            dispersion: round(errors.phi.at(-1) ?? 1),
          },
          safety: {
            eValue: round(errors.safety.eValue),
            threshold: errors.safety.threshold,
            maxRegression: config.maxRegression,
            moreCanaryRequests: errors.safety.rejected ? 0 : null,
            ...(errors.safety.history
              ? {
                  history: {
                    eValue: round(errors.safety.history.eValue),
                    nullRate: round(errors.safety.history.nullRate),
                    dropped: errors.safety.history.droppedAt !== undefined,
                    doubted: errors.safety.history.doubted === true,
                  },
                }
              : {}),
          },
        }),
    ...(latency.evidence.length > 0 ? { latency: latency.evidence } : {}),
    ...(missing.length > 0 ? { missing } : {}),
    ...gatesOf(input),
  };
}

function windowOf(input: JudgeInput): Pick<Evidence, 'window' | 'minutes'> {
  return {
    window: { start: input.window.start.toISOString(), end: input.window.end.toISOString() },
    minutes: input.minutes.length,
  };
}

function gatesOf(input: JudgeInput): Pick<Evidence, 'alarmsInAlarm' | 'unhealthyChecks'> {
  const unhealthyChecks = input.unhealthyChecks ?? [];
  return {
    alarmsInAlarm: [...input.alarmsInAlarm],
    ...(unhealthyChecks.length > 0 ? { unhealthyChecks: [...unhealthyChecks] } : {}),
  };
}

function describeGap(gap: ErrorGaps['series'][number], names: MetricNames): string {
  return `${gap.arm} ${names.errors} in ${gap.minutes} of ${gap.served} minutes with requests`;
}

/** An arm of the minute reports more errors than requests: its requests have not all arrived, or never will. */
function unreportedRequests(minute: PairedMinute | undefined): boolean {
  return (
    minute !== undefined &&
    (['canary', 'baseline'] as const).some((a) => minute[a].errors > minute[a].requests)
  );
}

/**
 * The first count that cannot be a count, as a message naming the metric and the minute. Without
 * `paired`, errors above requests pass (a newest minute that is still being reported).
 */
function findInvalid(
  minutes: readonly PairedMinute[],
  latency: readonly LatencyThreshold[],
  names: MetricNames,
  paired = true,
): string | undefined {
  for (const m of minutes) {
    for (const arm of ['canary', 'baseline'] as const) {
      const { requests, errors } = m[arm];
      const bad = invalidCount(requests) ?? invalidCount(errors);
      if (bad !== undefined) {
        const [what, value] =
          invalidCount(requests) !== undefined ? [names.requests, requests] : [names.errors, errors];
        return `${arm} ${what} is ${value} at ${m.at}: ${bad}`;
      }
      if (paired && errors > requests) {
        return `${arm} ${names.errors} (${errors}) exceed its ${names.requests} (${requests}) at ${m.at}: the two metrics do not describe the same requests`;
      }
      for (const l of latency) {
        const counts = m.latency?.[l.statistic]?.[arm];
        if (!counts) continue;
        const wrong = invalidCount(counts.samples) ?? invalidCount(counts.slow);
        const label = `${arm} ${names.latency ?? 'latency'} ${l.statistic}`;
        if (wrong !== undefined) {
          const value = invalidCount(counts.samples) !== undefined ? counts.samples : counts.slow;
          return `${label} count is ${value} at ${m.at}: ${wrong}`;
        }
        if (counts.slow > counts.samples) {
          return `${label}: ${counts.slow} slow requests of ${counts.samples} at ${m.at}`;
        }
      }
    }
  }
  return undefined;
}

function invalidCount(value: number): string | undefined {
  if (typeof value !== 'number' || Number.isNaN(value)) return 'not a number; check the metric';
  if (!Number.isFinite(value)) return 'not finite; check the metric';
  if (value < 0) return 'negative; counts cannot be';
  if (!Number.isInteger(value)) return 'not a whole count; the metric must count requests (Sum per minute)';
  return undefined;
}

/** Minutes (by index) in which an arm served requests but its error series had no datapoint. */
export interface ErrorGaps {
  /** Indices of the minutes with a gap. */
  minutes: number[];
  series: Array<{ arm: string; minutes: number; served: number }>;
}

function errorGaps(minutes: readonly PairedMinute[], config: JudgeConfig): ErrorGaps {
  if (config.errors?.publishedOnlyWhenNonZero) return { minutes: [], series: [] };
  const indices = new Set<number>();
  const series: Array<{ arm: string; minutes: number; served: number }> = [];
  for (const arm of ['canary', 'baseline'] as const) {
    let gaps = 0;
    let served = 0;
    minutes.forEach((m, i) => {
      if (m[arm].requests <= 0) return;
      served += 1;
      if (m.missing?.includes(`${arm}.errors`)) {
        gaps += 1;
        indices.add(i);
      }
    });
    if (gaps > 0) series.push({ arm, minutes: gaps, served });
  }
  return { minutes: [...indices].sort((a, b) => a - b), series };
}

/** Arms that served requests in the window but reported no latency samples at all. */
function latencyGaps(
  minutes: readonly PairedMinute[],
  latency: readonly LatencyThreshold[],
  names: MetricNames,
): string[] {
  const out: string[] = [];
  for (const l of latency) {
    for (const arm of ['canary', 'baseline'] as const) {
      const requests = minutes.reduce((sum, m) => sum + m[arm].requests, 0);
      const samples = minutes.reduce((sum, m) => sum + (m.latency?.[l.statistic]?.[arm].samples ?? 0), 0);
      if (requests > 0 && samples === 0) out.push(`${arm} ${names.latency ?? 'latency'} (${l.statistic})`);
    }
  }
  return out;
}

function latencyTest(
  minutes: readonly PairedMinute[],
  thresholds: LatencyThreshold,
  alpha: number,
  prior: Prior | undefined,
): LatencyEvidence {
  const trials: PairedTrials[] = minutes.map((m) => {
    const counts = m.latency?.[thresholds.statistic];
    return {
      canary: { trials: counts?.canary.samples ?? 0, events: counts?.canary.slow ?? 0 },
      baseline: { trials: counts?.baseline.samples ?? 0, events: counts?.baseline.slow ?? 0 },
    };
  });
  const phi = conditionalDispersion(trials, prior?.dispersion.latency?.[thresholds.statistic]);
  // The tolerance is in the thresholds: a canary as slow as allowed has as many slow requests as the baseline.
  const test = regressionTest(trials, { alpha, nullRatio: 1, dispersion: phi });
  const sum = (arm: 'canary' | 'baseline') =>
    trials.reduce((acc, t) => ({ samples: acc.samples + t[arm].trials, slow: acc.slow + t[arm].events }), {
      samples: 0,
      slow: 0,
    });
  return {
    statistic: thresholds.statistic,
    thresholds: { canary: thresholds.canary, baseline: thresholds.baseline },
    canary: sum('canary'),
    baseline: sum('baseline'),
    eValue: round(test.eValue),
    threshold: test.threshold,
  };
}

/**
 * About how many more canary requests the promotion evidence needs, if the canary keeps failing at the
 * baseline's rate and traffic keeps the newest minute's split. Null when it cannot be said.
 */
function moreCanaryRequests(
  trials: readonly PairedTrials[],
  eValue: number,
  threshold: number,
  config: JudgeConfig,
  phi: readonly number[],
  /** The history part's null rate, while it counts: each canary request also grows the evidence against it. */
  historyNullRate?: number,
): number | null {
  if (eValue >= threshold) return 0;
  const newest = [...trials].reverse().find((t) => t.canary.trials > 0 && t.baseline.trials > 0);
  if (!newest) return null;
  const share = newest.canary.trials / (newest.canary.trials + newest.baseline.trials);
  const baselineTrials = trials.reduce((sum, t) => sum + t.baseline.trials, 0);
  const baselineEvents = trials.reduce((sum, t) => sum + t.baseline.events, 0);
  const rate = baselineTrials > 0 ? baselineEvents / baselineTrials : 0;
  const drift = safetyDrift(share, rate, config.maxRegression, phi.at(-1) ?? 1);
  const history =
    historyNullRate === undefined ? 0 : bernoulliKl(rate, historyNullRate) / Math.max(1, phi.at(-1) ?? 1);
  const perRequest = Math.max(drift.ratioPerCanaryRequest, drift.differencePerCanaryRequest, history);
  if (!(perRequest > 0)) return null;
  const needed = Math.log(threshold) - Math.log(Math.max(eValue, 1e-300));
  const requests = needed / perRequest;
  return requests > 1e7 ? null : roundCount(requests);
}

function summarize(arm: { requests: number; errors: number }): ArmSummary {
  return { ...arm, errorRate: arm.requests > 0 ? arm.errors / arm.requests : null };
}

function describe(arm: ArmSummary): string {
  return `${arm.errors}/${arm.requests} (${arm.errorRate === null ? 'n/a' : pct(arm.errorRate)})`;
}

function pct(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(3))}%`;
}

function round(value: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(4)) : value;
}

function roundOrNull(value: number | null): number | null {
  return value === null ? null : round(value);
}

function roundCount(value: number): number {
  if (value < 100) return Math.ceil(value);
  const magnitude = 10 ** (Math.floor(Math.log10(value)) - 1);
  return Math.ceil(value / magnitude) * magnitude;
}

/** 12345 → "12,345" (toLocaleString is slow, and this runs at every check of the benchmark). */
function fmtCount(value: number): string {
  return String(Math.round(value)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * What Plan learns from the stable version's last hour, before any traffic moves: how much traffic it
 * serves, how often it fails, how much its counts vary beyond Poisson, and the latency thresholds the
 * rollout will count slow requests against. Pure: it summarizes numbers read elsewhere.
 */
import { scheduleMinutesOnClock } from './cadence';
import {
  type DispersionStat,
  historyDispersion,
  type LatencyCounts,
  type MaxRegression,
  pearson,
  ratioWeight,
  SAFETY_WEIGHTS,
} from './sequential-test';
import type { Step } from './strategy';

/** One minute of the stable side alone. */
export interface SideMinute {
  at: string;
  requests: number;
  errors: number;
  /** Per latency statistic: samples, and how many were slower than that statistic's threshold. */
  latency?: Record<string, LatencyCounts>;
}

/** The stable version's last hour, as the analysis uses it. */
export interface Prior {
  window: { start: string; end: string };
  /** Minutes of the window in which the stable side served requests. */
  minutes: number;
  requests: number;
  errors: number;
  /** Requests per minute over the whole window (quiet minutes count as zero). */
  requestsPerMinute: number;
  dispersion: {
    /** Pearson X² of the per-minute errors around their own rate, and its degrees of freedom. */
    errors: DispersionStat;
    /** The same for the requests slower than each latency statistic's threshold. */
    latency?: Record<string, DispersionStat>;
  };
}

export function summarizeHistory(minutes: readonly SideMinute[], window: { start: Date; end: Date }): Prior {
  const windowMinutes = Math.max(1, Math.round((window.end.getTime() - window.start.getTime()) / 60_000));
  const requests = minutes.reduce((sum, m) => sum + m.requests, 0);
  const errors = minutes.reduce((sum, m) => sum + m.errors, 0);
  const statistics = [...new Set(minutes.flatMap((m) => Object.keys(m.latency ?? {})))];
  const latency = Object.fromEntries(
    statistics.map((statistic) => [
      statistic,
      pearson(
        minutes.map((m) => ({
          trials: m.latency?.[statistic]?.samples ?? 0,
          events: m.latency?.[statistic]?.slow ?? 0,
        })),
      ),
    ]),
  );
  return {
    window: { start: window.start.toISOString(), end: window.end.toISOString() },
    minutes: minutes.filter((m) => m.requests > 0).length,
    requests,
    errors,
    requestsPerMinute: Math.round((requests / windowMinutes) * 10) / 10,
    dispersion: {
      errors: pearson(minutes.map((m) => ({ trials: m.requests, events: m.errors }))),
      ...(statistics.length > 0 ? { latency } : {}),
    },
  };
}

/**
 * insufficientData.maxExtraMinutes when the input leaves it out: a base, and `perDispersion` more for
 * each unit of dispersion above Poisson, up to `max`.
 */
export const EXTRA_MINUTES = { base: 30, perDispersion: 60, max: 240 } as const;

/**
 * How long a step may be held past its bake when the input does not say: 30 minutes when the stable
 * version's errors varied over its last hour as Poisson counts do, and an hour more for each unit of
 * dispersion above that (φ, taken at its upper bound, as the tests are tempered by it), up to 240. The
 * evidence a promotion needs takes about φ times the traffic, so a fixed allowance would roll back
 * healthy canaries of a service whose errors come in bursts for want of evidence, not for a regression.
 */
export function extraMinutesFor(prior: Prior | undefined): { minutes: number; phi: number } {
  const phi = prior && prior.errors > 0 ? historyDispersion(prior.dispersion.errors) : 1;
  const minutes = EXTRA_MINUTES.base + EXTRA_MINUTES.perDispersion * (phi - 1);
  return { minutes: Math.min(EXTRA_MINUTES.max, Math.round(minutes)), phi };
}

/**
 * insufficientData.maxExtraMinutes: as given, or stretched from 30 minutes by the stable version's
 * dispersion (extraMinutesFor), and no longer than the schedule can fit in the state machine's limits.
 */
export function extraHold(
  configured: number | undefined,
  prior: Prior | undefined,
  fits: (minutes: number) => boolean = () => true,
): { minutes: number; reason?: string } {
  if (configured !== undefined) return { minutes: configured };
  const { minutes, phi } = extraMinutesFor(prior);
  if (minutes <= EXTRA_MINUTES.base) return { minutes: EXTRA_MINUTES.base };
  const varied = `the stable version's errors varied up to ${phi.toFixed(1)} times as much as Poisson counts over its last hour (90% upper bound)`;
  if (!fits(minutes)) {
    // The longest hold that still fits, in 5-minute steps, and at least the base.
    let longest: number = EXTRA_MINUTES.base;
    for (let m = minutes - 5; m > EXTRA_MINUTES.base; m -= 5) {
      if (fits(m)) {
        longest = m;
        break;
      }
    }
    return {
      minutes: longest,
      reason: `a step may be held up to ${longest} extra minutes for evidence: ${varied}, but ${minutes} would not fit this schedule in the state machine's limits`,
    };
  }
  return {
    minutes,
    reason: `a step may be held up to ${minutes} extra minutes for evidence (insufficientData.maxExtraMinutes, 30 by default): ${varied}, so the evidence takes longer`,
  };
}

/** The per-minute thresholds of one latency statistic, fixed at Plan. */
export interface LatencyThresholds {
  /** A baseline request slower than this is slow: the stable version's percentile over its last hour. */
  baseline: number;
  /** A canary request slower than this is slow: the same, times 1 + tolerance, plus minIncrease. */
  canary: number;
}

/**
 * Counting each arm's requests above its own threshold makes the test ask exactly "is the canary's
 * percentile more than (1 + tolerance) times the baseline's, plus minIncrease?": a canary uniformly
 * s times slower has as many requests above s·t as the baseline has above t. Rounded to six significant
 * digits, as they are sent to CloudWatch.
 */
export function latencyThresholds(
  stablePercentile: number,
  tolerance: number,
  minIncrease: number,
): LatencyThresholds {
  const round = (v: number) => Number(v.toPrecision(6));
  return {
    baseline: round(stablePercentile),
    canary: round(stablePercentile * (1 + tolerance) + minIncrease),
  };
}

export interface ForecastConfig {
  beta: number;
  maxRegression: MaxRegression;
  metricLagMinutes: number;
  insufficientData: { maxExtraMinutes: number };
  /**
   * How long after each step starts its requests may still follow the previous step's weights (ELB
   * stickiness: sessions keep their target group this long). The forecast counts a step's share from then.
   */
  shareLagSeconds?: number | undefined;
  /** The promotion evidence also counts the stable version's last hour (analysis.historyEvidence). */
  historyEvidence?: boolean | undefined;
}

export interface Forecast {
  /** Expected minutes from the first shift to promotion, or null when it cannot be said. */
  minutes: number | null;
  /** Minutes the schedule itself takes. */
  scheduleMinutes: number;
  /** Canary requests the promotion evidence needs at last hour's error rate (null when unknown). */
  canaryRequests: number | null;
  reason: string;
}

/**
 * How long a healthy rollout should take at the traffic of the last hour: the schedule, stretched until
 * the canary has served enough requests to show it is not maxRegression worse, then the metric lag.
 * An expectation for a canary exactly as good as the baseline, not a promise.
 */
export function forecastRollout(
  steps: readonly Step[],
  prior: Prior | undefined,
  config: ForecastConfig,
): Forecast {
  const scheduleMinutes = steps.reduce((sum, s) => sum + s.bakeSeconds, 0) / 60;
  const last = steps.at(-1);
  if (!last) return { minutes: 0, scheduleMinutes, canaryRequests: 0, reason: 'AllAtOnce: no canary steps' };
  if (last.weight >= 100) {
    return {
      minutes: scheduleMinutes,
      scheduleMinutes,
      canaryRequests: 0,
      reason:
        `expected to take ${fmt(scheduleMinutes)} minutes: all traffic moves at once, then alarms and ` +
        'health checks are watched for that long before promotion (no baseline is left to compare with)',
    };
  }
  if (!prior || prior.requests === 0) {
    return {
      minutes: null,
      scheduleMinutes,
      canaryRequests: null,
      reason:
        `the schedule takes ${fmt(scheduleMinutes)} minutes; the stable version served no requests in the last ` +
        'hour, so how long the evidence for promotion takes cannot be said' +
        adaptiveNote(steps, config.historyEvidence),
    };
  }
  const rpm = prior.requestsPerMinute;
  const rate = prior.errors / prior.requests;
  // The φ the tests start from (conditionalDispersion), so the forecast expects what they will need.
  const phi = historyDispersion(prior.dispersion.errors);
  const needed = Math.log(1 / config.beta);
  const limit = scheduleMinutes + config.insufficientData.maxExtraMinutes;
  // Expected log-evidence after each minute, at each minute's weight, for a canary like the baseline.
  const w = ratioWeight(rate, config.maxRegression.floor);
  let ratioLog = Math.log(w * (SAFETY_WEIGHTS[0] ?? 0));
  // The difference part pays for estimating two rates as it goes: about half a log per rate and decade.
  let differenceLog = Math.log(1 - w) - 2;
  let canaryRequests = 0;
  let minute = 0;
  let elapsed = 0;
  let stepIndex = 0;
  const lag = config.shareLagSeconds ?? 0;
  while (minute < limit + 1 && Math.max(ratioLog, differenceLog) < needed) {
    const step = steps[stepIndex] ?? last;
    // Sessions started before the step keep their side for `lag`: count the step's share only from then
    // (the previous step's until then, none before the first), a lower bound on the canary's requests.
    const previous = steps[stepIndex - 1]?.weight ?? 0;
    const share = (stepIndex < steps.length && elapsed < lag ? previous : step.weight) / 100;
    const drift = safetyDrift(share, rate, config.maxRegression, phi);
    ratioLog += rpm * share * drift.ratioPerCanaryRequest;
    differenceLog += rpm * share * drift.differencePerCanaryRequest;
    canaryRequests += rpm * share;
    minute += 1;
    elapsed += 60;
    if (stepIndex < steps.length && elapsed >= step.bakeSeconds) {
      stepIndex += 1;
      elapsed = 0;
    }
  }
  const shown = Math.max(ratioLog, differenceLog) >= needed;
  // Checks run on CloudWatch's clock (cadence.ts): the first step waits for its first readable minute.
  const total = Math.max(
    scheduleMinutesOnClock(steps, config.metricLagMinutes),
    minute + config.metricLagMinutes,
  );
  const traffic =
    `last hour's ${fmtCount(rpm)} requests a minute at a ${pct(rate)} error rate` +
    stickinessNote(steps, lag);
  const what =
    `promotion needs evidence that the canary is not ${config.maxRegression.ratio}x worse ` +
    `(by ${points(config.maxRegression.floor)} or more): about ${fmtCount(roundTo(canaryRequests))} canary requests`;
  if (!shown) {
    return {
      minutes: null,
      scheduleMinutes,
      canaryRequests: null,
      reason:
        `at ${traffic}, the evidence for promotion is unlikely within the schedule (${fmt(scheduleMinutes)} minutes) ` +
        `plus insufficientData.maxExtraMinutes (${config.insufficientData.maxExtraMinutes}): ${what.split(':')[0]}, ` +
        'which this traffic does not give in time; expect insufficient data. Longer steps, more traffic, or a ' +
        'larger analysis.maxRegression (its ratio; its floor when the baseline rarely fails) shorten it' +
        adaptiveNote(steps, config.historyEvidence),
    };
  }
  const why =
    minute > scheduleMinutes
      ? `longer than the ${fmt(scheduleMinutes)}-minute schedule because ${what}, which take about ` +
        `${fmt(minute)} minutes at ${last.weight}%; then the ${config.metricLagMinutes}-minute metric lag`
      : `the ${fmt(scheduleMinutes)}-minute schedule, the first step's first minute to be read, then the ${config.metricLagMinutes}-minute metric lag; ` +
        `${what}, which the schedule gives`;
  return {
    minutes: total,
    scheduleMinutes,
    canaryRequests: roundTo(canaryRequests),
    reason: `expected to take about ${fmt(total)} minutes at ${traffic}: ${why}${adaptiveNote(steps, config.historyEvidence)}`,
  };
}

/**
 * What the forecast cannot know of an adaptive ramp: it promotes from any rung once the evidence is in,
 * and climbs only while the canary's minutes favour it, so the minutes above are its ramp's, not a promise.
 */
function adaptiveNote(steps: readonly Step[], historyEvidence?: boolean): string {
  if (!steps.some((s) => s.adaptive)) return '';
  return (
    `; an adaptive ramp (${steps.map((s) => `${s.weight}%`).join(', ')}): it may promote early, from any ` +
    "rung once the evidence is in, or hold a rung longer; when depends on the canary's minutes and cannot be known now" +
    (historyEvidence
      ? "; its promotion evidence also counts the canary against the stable version's last hour (analysis.historyEvidence), which this forecast leaves out"
      : '')
  );
}

/**
 * What the forecast assumed of sessions that keep their side after a weight change, and the steps too
 * short for their share to be reached at all (empty without a lag).
 */
function stickinessNote(steps: readonly Step[], lagSeconds: number): string {
  if (lagSeconds <= 0) return '';
  const short = steps.flatMap((s, i) =>
    s.weight < 100 && s.bakeSeconds <= lagSeconds ? [`steps[${i}]`] : [],
  );
  return (
    `, counting each step's share only from ${fmt(lagSeconds / 60)} minutes into it, as sessions keep their ` +
    'target group that long' +
    (short.length > 0
      ? ` (${short.join(', ')} ${short.length === 1 ? 'is' : 'are'} no longer than that: such a step's requests ` +
        'may never reach its weight, so its judgment rests on fewer canary requests than its weight says)'
      : '')
  );
}

/**
 * Expected growth of the log safety evidence per canary request, for a canary exactly as good as the
 * baseline, at a canary share of the traffic: the ratio part's best alternative (ρ = 1), and the difference
 * part (the closest the null c ≥ b + floor comes to both arms at the baseline's rate). Used to forecast,
 * and to say how much more traffic a check needs.
 */
export function safetyDrift(
  share: number,
  baselineRate: number,
  maxRegression: MaxRegression,
  phi: number,
): { ratioPerCanaryRequest: number; differencePerCanaryRequest: number } {
  if (share <= 0 || share >= 1) return { ratioPerCanaryRequest: 0, differencePerCanaryRequest: 0 };
  const p0 = share;
  const p1 = (share * maxRegression.ratio) / (share * maxRegression.ratio + (1 - share));
  // Errors per canary request at the baseline's rate, over both arms: rate / share.
  const ratioPerCanaryRequest = ((baselineRate / share) * bernoulliKl(p0, p1)) / phi;
  const f = maxRegression.floor;
  const b = Math.min(1 - f - 1e-9, Math.max(1e-9, baselineRate));
  // min over b' of s·KL(b ‖ b' + f) + (1 − s)·KL(b ‖ b'), per canary request (÷ s); convex in b'.
  let lo = 1e-12;
  let hi = b;
  for (let i = 0; i < 24; i++) {
    const m1 = lo + (hi - lo) / 3;
    const m2 = hi - (hi - lo) / 3;
    if (differenceCost(share, b, f, m1) < differenceCost(share, b, f, m2)) hi = m2;
    else lo = m1;
  }
  const differencePerCanaryRequest =
    f > 0 && f < 1 ? differenceCost(share, b, f, (lo + hi) / 2) / share / phi : 0;
  return { ratioPerCanaryRequest, differencePerCanaryRequest };
}

function differenceCost(share: number, b: number, f: number, x: number): number {
  return share * bernoulliKl(b, x + f) + (1 - share) * bernoulliKl(b, x);
}

/** KL(Bernoulli(p) ‖ Bernoulli(q)). */
export function bernoulliKl(p: number, q: number): number {
  return klTerm(p, q) + klTerm(1 - p, 1 - q);
}

function klTerm(a: number, b: number): number {
  return a > 0 ? a * Math.log(a / b) : 0;
}

function roundTo(v: number): number {
  if (v < 100) return Math.round(v);
  const magnitude = 10 ** (Math.floor(Math.log10(v)) - 1);
  return Math.round(v / magnitude) * magnitude;
}

function fmt(minutes: number): string {
  return String(Math.round(minutes * 10) / 10);
}

function fmtCount(v: number): string {
  return Math.round(v).toLocaleString('en-US');
}

function points(fraction: number): string {
  const value = Number((fraction * 100).toPrecision(2));
  return `${value} point${value === 1 ? '' : 's'}`;
}

function pct(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(2))}%`;
}

/**
 * The policies the benchmark compares. `fledge` calls the same `assess()` that evaluate-metrics calls;
 * the anchors model CodeDeploy, Flagger and Kayenta on their documented defaults (docs/ANALYSIS.md).
 */
import { assess } from '../shared/core/assess';
import { CHECK_MARGIN_SECONDS, checkWindow, firstCheckSeconds } from '../shared/core/cadence';
import { isGated, type Progress } from '../shared/core/decision';
import { extraHold, latencyThresholds, type Prior, summarizeHistory } from '../shared/core/history';
import {
  type AnalysisInput,
  AnalysisSchema,
  DEFAULT_METRIC_LAG_MINUTES,
  resolvedAnalysis,
} from '../shared/core/schema';
import type { PairedMinute } from '../shared/core/sequential-test';
import { isAdaptive, type Step } from '../shared/core/strategy';
import type { LatencyThreshold } from '../shared/core/verdict';
import { mannWhitneyGreaterP } from './mann-whitney';
import { HISTORY_MINUTES, type Minute, type World, type WorldRun } from './model';

export const POLICIES = [
  'fledge',
  'fledge-lag2',
  'codedeploy-any-error',
  'codedeploy-error-rate',
  'flagger',
  'kayenta',
  'oracle-sprt',
] as const;
export type PolicyName = (typeof POLICIES)[number];

export type Action = 'continue' | 'advance' | 'promote' | 'rollback';

/** One rollout, seen by a policy at each check: the minute it is, and the minutes visible by then. */
export interface Controller {
  /**
   * Called at whole minute `t` (≥ 1); `visible` holds minutes 0 … t − 2: all complete but the last,
   * which is partly reported. A policy reads up to its own lag.
   */
  check(t: number, visible: readonly Minute[]): Action;
  /** True when the rollback just decided was for insufficient data, not on a verdict. */
  forData?(): boolean;
}

export interface PolicyContext {
  steps: readonly Step[];
  world: World;
  /** The world of this rollout: what Plan reads of the stable version's last hour. */
  run: WorldRun;
  /** fledge's analysis input (default: none, i.e. fledge's defaults); for tuning sweeps. */
  analysis?: Record<string, unknown>;
}

/** The anchors read complete minutes only, two minutes after they end (see docs/ANALYSIS.md). */
export const ANCHOR_LAG_MINUTES = 2;

const T0 = Date.UTC(2026, 0, 1, 0, 0);
const at = (minute: number) => new Date(T0 + minute * 60_000);
const ISO: string[] = Array.from({ length: 400 }, (_, i) => at(i).toISOString());

const parsed = new Map<string, AnalysisInput>();
function analysisConfig(analysis: Record<string, unknown>): AnalysisInput {
  const key = JSON.stringify(analysis);
  const hit = parsed.get(key);
  if (hit) return hit;
  const config = AnalysisSchema.parse(analysis);
  parsed.set(key, config);
  return config;
}

/**
 * fledge: Plan's look at the stable version's last hour (prior, latency thresholds), then the Lambda's own
 * decision function, minute by minute.
 */
function fledge(context: PolicyContext, overrides: Record<string, unknown> = {}): Controller {
  const { steps } = context;
  const { config, latency, prior } = planFledge(context, overrides);
  // A step's weight moves at the check that advanced it, and its first check is scheduled as SetWeight
  // schedules it (cadence.ts).
  const firstCheck = (t: number, weightAt: Date) => {
    const wait = firstCheckSeconds({
      now: weightAt,
      trafficStartedAt: at(0),
      lagMinutes: config.metricLagMinutes,
      bakeSeconds: steps[progress.stepIndex]?.bakeSeconds ?? 60,
      checkIntervalMinutes: config.checkIntervalMinutes,
      gated: isGated(config),
    });
    return minuteOf(weightAt, wait, t);
  };
  let progress: Progress = startProgress();
  let nextCheck = firstCheck(0, at(0));
  let forData = false;
  return {
    forData: () => forData,
    check(t, visible) {
      if (t < nextCheck) return 'continue';
      const { now, window, minutes } = fledgeView(t, visible, config.metricLagMinutes);
      const { decision } = assess({ steps, progress, config, now, window, minutes, latency, prior });
      progress = decision.progress;
      nextCheck = minuteOf(now, decision.waitSeconds, t);
      if (decision.action === 'advance') {
        progress = { ...progress, stepStartedAt: now.toISOString() };
        nextCheck = firstCheck(t, now);
      }
      forData = decision.action === 'rollback' && decision.reason.startsWith('insufficient data');
      return decision.action === 'hold' ? 'continue' : decision.action;
    },
  };
}

/** The progress of a rollout whose first step started at minute 0. */
export function startProgress(): Progress {
  return {
    stepIndex: 0,
    stepStartedAt: at(0).toISOString(),
    trafficStartedAt: at(0).toISOString(),
    checks: 0,
    consecutiveErrors: 0,
  };
}

/** The moment fledge checks at minute t, the window it reads, and its minutes (undefined while the window is empty). */
export function fledgeView(
  t: number,
  visible: readonly Minute[],
  lag: number,
): { now: Date; window: { start: Date; end: Date }; minutes: PairedMinute[] | undefined } {
  // Checks run a margin past the whole minute (cadence.ts), as the state machine schedules them.
  const now = new Date(at(t).getTime() + CHECK_MARGIN_SECONDS * 1000);
  const window = checkWindow(at(0), now, lag);
  const minutes: PairedMinute[] = visible
    .slice(0, Math.max(0, t - lag))
    .map((m, i) => ({ at: ISO[i] ?? at(i).toISOString(), ...m }));
  return { now, window, minutes: window.end > window.start ? minutes : undefined };
}

/** What fledge's Plan fixes for one target: the analysis, the latency thresholds and the prior. */
export function planFledge(
  { run, world, analysis, steps = [] }: Omit<PolicyContext, 'steps'> & { steps?: readonly Step[] },
  overrides: Record<string, unknown> = {},
): { config: ReturnType<typeof resolvedAnalysis>; latency: LatencyThreshold[]; prior: Prior } {
  const given = analysisConfig({
    ...(world.latency ? { latency: {} } : {}),
    ...analysis,
    ...overrides,
  });
  const latency: LatencyThreshold[] = (given.latency?.statistics ?? []).flatMap((statistic) => {
    const value = run.statistic(statistic);
    if (value === null || !given.latency) return [];
    return [{ statistic, ...latencyThresholds(value, given.latency.tolerance, given.latency.minIncrease) }];
  });
  run.useThresholds(latency);
  const prior = summarizeHistory(run.lastHour(), { start: at(-HISTORY_MINUTES), end: at(0) });
  // Plan's hold for evidence: as given, or stretched by the stable version's dispersion.
  const config = resolvedAnalysis(given, {
    metricLagMinutes: given.metricLagMinutes ?? DEFAULT_METRIC_LAG_MINUTES,
    maxExtraMinutes: extraHold(given.insufficientData.maxExtraMinutes, prior).minutes,
    adaptive: isAdaptive(steps),
  });
  return { config, latency, prior };
}

/** The whole minute of the first check at or after `seconds` from `from` (checks run a margin past it). */
function minuteOf(from: Date, seconds: number, t: number): number {
  const due = from.getTime() + seconds * 1000 - CHECK_MARGIN_SECONDS * 1000;
  return Math.max(t + 1, Math.ceil((due - T0) / 60_000));
}

/** The fixed CodeDeploy-style schedule: shift at each step's end, complete after the last one. */
function scheduled(
  { steps }: PolicyContext,
  judge: (t: number, visible: readonly Minute[]) => boolean,
): Controller {
  const ends = stepEnds(steps);
  return {
    check(t, visible) {
      if (judge(t, visible)) return 'rollback';
      if (t >= (ends.at(-1) ?? 0)) return 'promote';
      return ends.includes(t) ? 'advance' : 'continue';
    },
  };
}

/** The minute at which each step of a fixed schedule ends. */
function stepEnds(steps: readonly Step[]): number[] {
  const ends: number[] = [];
  for (const step of steps) ends.push((ends.at(-1) ?? 0) + step.bakeSeconds / 60);
  return ends;
}

/** The complete minutes an anchor reads at minute t: those ended two minutes ago or more. */
const complete = (t: number, visible: readonly Minute[]) =>
  visible.slice(0, Math.max(0, t - ANCHOR_LAG_MINUTES));

/** The newest complete minute, as an alarm with a 1-minute period and 1 datapoint sees it. */
const newest = (t: number, visible: readonly Minute[]) => complete(t, visible).at(-1);

/**
 * The anchors' latency check, in the worlds with latency: the canary's p99 over a minute must stay at or
 * below 1.2 times the stable version's p99 over its last hour, a static threshold set as an operator sets
 * an alarm's (CodeDeploy), or a Flagger request-duration max. Infinity where there is no latency.
 */
function latencyLimit(context: PolicyContext): number {
  const p99 = context.world.latency ? context.run.statistic('p99') : null;
  return p99 === null ? Number.POSITIVE_INFINITY : 1.2 * p99;
}

/** The newest complete minute's canary p99 is above the limit. */
function slowMinute(t: number, visible: readonly Minute[], limit: number): boolean {
  const p99 = newest(t, visible)?.p99?.canary;
  return p99 !== undefined && p99 !== null && p99 > limit;
}

export function controller(policy: PolicyName, context: PolicyContext): Controller {
  switch (policy) {
    case 'fledge':
      return fledge(context);
    case 'fledge-lag2':
      return fledge(context, { metricLagMinutes: 2 });
    case 'codedeploy-any-error': {
      // Alarm: Errors (Sum, 60 s) > 0 for 1 of 1 datapoints on the new version; missing data not breaching.
      // With latency, a second alarm on the new version's p99 Duration (see latencyLimit).
      const limit = latencyLimit(context);
      return scheduled(
        context,
        (t, visible) => (newest(t, visible)?.canary.errors ?? 0) > 0 || slowMinute(t, visible, limit),
      );
    }
    case 'codedeploy-error-rate': {
      // Alarm: Errors / Invocations > 1% for 1 of 1 datapoints of 60 s; no invocations is missing data.
      const limit = latencyLimit(context);
      return scheduled(context, (t, visible) => {
        const m = newest(t, visible);
        const errors = m !== undefined && m.canary.requests > 0 && m.canary.errors / m.canary.requests > 0.01;
        return errors || slowMinute(t, visible, limit);
      });
    }
    case 'flagger':
      return flagger(context);
    case 'kayenta':
      return kayenta(context);
    case 'oracle-sprt':
      return oracle(context);
  }
}

/**
 * Flagger: every 1-minute interval, request-success-rate over the last minute must be ≥ 99% (and, with
 * latency, request-duration p99 at most its max). A failed check halts advancement and counts; at 5
 * failed checks (threshold) it rolls back. No traffic halts; a query that finds no values (a missing error
 * series) is a failed check, as Flagger's runAnalysis has it.
 */
function flagger(context: PolicyContext): Controller {
  const { steps } = context;
  const limit = latencyLimit(context);
  let failed = 0;
  let step = 0;
  let stepStart = 0;
  return {
    check(t, visible) {
      const m = newest(t, visible);
      const noValues = m?.missing?.includes('canary.errors') ?? false;
      const ok =
        m !== undefined &&
        !noValues &&
        m.canary.requests > 0 &&
        m.canary.errors / m.canary.requests <= 0.01 &&
        !slowMinute(t, visible, limit);
      const bad = m !== undefined && m.canary.requests > 0 && !ok;
      if (bad && ++failed >= 5) return 'rollback';
      const bake = (steps[step]?.bakeSeconds ?? 0) / 60;
      if (!ok || t - stepStart < bake) return 'continue';
      if (step === steps.length - 1) return 'promote';
      step += 1;
      stepStart = t;
      return 'advance';
    },
  };
}

/**
 * Kayenta: at the end of each step, a one-sided Mann-Whitney U test at 95% confidence of the canary's
 * per-minute error rates (and, with latency, p99s) against the baseline's, over the canary's lifetime so far. Generous: Kayenta's
 * judge wants 50 data points per side, which 1-minute CloudWatch data never reaches in these rollouts,
 * so the floor is not applied (with it, Kayenta would never fail a canary here).
 */
function kayenta(context: PolicyContext): Controller {
  const ends = stepEnds(context.steps);
  return scheduled(context, (t, visible) => {
    if (!ends.includes(t)) return false;
    const withTraffic = complete(t, visible).filter((m) => m.canary.requests > 0 && m.baseline.requests > 0);
    const canary = withTraffic.map((m) => m.canary.errors / m.canary.requests);
    const baseline = withTraffic.map((m) => m.baseline.errors / m.baseline.requests);
    const errors = canary.length >= 3 && mannWhitneyGreaterP(canary, baseline) < 0.05;
    // With latency, the same test on the per-minute p99s: either metric failing fails the canary.
    const timed = withTraffic.filter((m) => m.p99?.canary != null && m.p99?.baseline != null);
    const slow =
      timed.length >= 3 &&
      mannWhitneyGreaterP(
        timed.map((m) => m.p99?.canary ?? 0),
        timed.map((m) => m.p99?.baseline ?? 0),
      ) < 0.05;
    return errors || slow;
  });
}

/**
 * The floor: Wald's SPRT on the canary's requests, knowing both true rates (H0: the baseline's rate,
 * H1: the canary's), alpha = beta = 0.01. It never rolls back a healthy canary: it knows it is healthy.
 */
function oracle(context: PolicyContext): Controller {
  const { baselineRate: p0, canaryRate: p1 } = context.world;
  const bound = Math.log((1 - 0.01) / 0.01);
  return scheduled(context, (t, visible) => {
    if (p1 <= p0) return false;
    let llr = 0;
    for (const m of complete(t, visible)) {
      if (m.canary.errors > 0) llr += m.canary.errors * Math.log(p1 / p0);
      llr += (m.canary.requests - m.canary.errors) * Math.log((1 - p1) / (1 - p0));
    }
    return llr >= bound;
  });
}

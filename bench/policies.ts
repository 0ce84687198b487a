/**
 * The policies the benchmark compares. `fledge` calls the same `assess()` that evaluate-metrics calls;
 * the anchors model CodeDeploy, Flagger and Kayenta on their documented defaults (docs/ANALYSIS.md).
 */
import { assess } from '../shared/core/assess';
import type { Progress } from '../shared/core/decision';
import { AnalysisSchema } from '../shared/core/schema';
import type { PairedMinute } from '../shared/core/sequential-test';
import type { Step } from '../shared/core/strategy';
import { mannWhitneyGreaterP } from './mann-whitney';
import { LAG_MINUTES, type Minute, type Scenario } from './model';

export const POLICIES = [
  'fledge',
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
  /** Called at whole minute `t` (≥ 1); `visible` holds minutes 0 … t − lag − 1. */
  check(t: number, visible: readonly Minute[]): Action;
}

export interface PolicyContext {
  steps: readonly Step[];
  scenario: Scenario;
  /** fledge's analysis input (default: none, i.e. fledge's defaults); for tuning sweeps. */
  analysis?: Record<string, unknown>;
}

const T0 = Date.UTC(2026, 0, 1, 0, 0);
const at = (minute: number) => new Date(T0 + minute * 60_000);

/** fledge with its defaults: the Lambda's own decision function, minute by minute. */
function fledge({ steps, analysis }: PolicyContext): Controller {
  const config = AnalysisSchema.parse(analysis ?? {});
  let progress: Progress = {
    stepIndex: 0,
    stepStartedAt: at(0).toISOString(),
    trafficStartedAt: at(0).toISOString(),
    checks: 0,
    consecutiveErrors: 0,
  };
  let nextCheck = 1;
  return {
    check(t, visible) {
      if (t < nextCheck) return 'continue';
      const window = { start: at(0), end: at(t - config.metricLagMinutes) };
      const minutes: PairedMinute[] = visible.map((m, i) => ({ at: at(i).toISOString(), ...m }));
      const { decision } = assess({
        steps,
        progress,
        config,
        now: at(t),
        window,
        minutes: window.end > window.start ? minutes : undefined,
      });
      progress = decision.progress;
      nextCheck = t + Math.max(1, Math.ceil(decision.waitSeconds / 60));
      if (decision.action === 'advance') {
        progress = { ...progress, stepStartedAt: at(t).toISOString() };
        nextCheck = t + 1;
      }
      return decision.action === 'hold' ? 'continue' : decision.action;
    },
  };
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

/** The newest minute CloudWatch has, as an alarm with a 1-minute period and 1 datapoint sees it. */
const newest = (visible: readonly Minute[]) => visible.at(-1);

export function controller(policy: PolicyName, context: PolicyContext): Controller {
  switch (policy) {
    case 'fledge':
      return fledge(context);
    case 'codedeploy-any-error':
      // Alarm: Errors (Sum, 60 s) > 0 for 1 of 1 datapoints on the new version; missing data not breaching.
      return scheduled(context, (_t, visible) => (newest(visible)?.canary.errors ?? 0) > 0);
    case 'codedeploy-error-rate':
      // Alarm: Errors / Invocations > 1% for 1 of 1 datapoints of 60 s; no invocations is missing data.
      return scheduled(context, (_t, visible) => {
        const m = newest(visible);
        return m !== undefined && m.canary.requests > 0 && m.canary.errors / m.canary.requests > 0.01;
      });
    case 'flagger':
      return flagger(context);
    case 'kayenta':
      return kayenta(context);
    case 'oracle-sprt':
      return oracle(context);
  }
}

/**
 * Flagger: every 1-minute interval, request-success-rate over the last minute must be ≥ 99%. A failed
 * check halts advancement and counts; at 5 failed checks (threshold) it rolls back. No data halts.
 */
function flagger({ steps }: PolicyContext): Controller {
  let failed = 0;
  let step = 0;
  let stepStart = 0;
  return {
    check(t, visible) {
      const m = newest(visible);
      const ok = m !== undefined && m.canary.requests > 0 && m.canary.errors / m.canary.requests <= 0.01;
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
 * per-minute error rates against the baseline's, over the canary's lifetime so far. Generous: Kayenta's
 * judge wants 50 data points per side, which 1-minute CloudWatch data never reaches in these rollouts,
 * so the floor is not applied (with it, Kayenta would never fail a canary here).
 */
function kayenta(context: PolicyContext): Controller {
  const ends = stepEnds(context.steps);
  return scheduled(context, (t, visible) => {
    if (!ends.includes(t)) return false;
    const withTraffic = visible.filter((m) => m.canary.requests > 0 && m.baseline.requests > 0);
    const canary = withTraffic.map((m) => m.canary.errors / m.canary.requests);
    const baseline = withTraffic.map((m) => m.baseline.errors / m.baseline.requests);
    return canary.length >= 3 && mannWhitneyGreaterP(canary, baseline) < 0.05;
  });
}

/**
 * The floor: Wald's SPRT on the canary's requests, knowing both true rates (H0: the baseline's rate,
 * H1: the canary's), alpha = beta = 0.01. It never rolls back a healthy canary: it knows it is healthy.
 */
function oracle(context: PolicyContext): Controller {
  const { baselineRate: p0, canaryRate: p1 } = context.scenario;
  const bound = Math.log((1 - 0.01) / 0.01);
  return scheduled(context, (_t, visible) => {
    if (p1 <= p0) return false;
    let llr = 0;
    for (const m of visible) {
      llr +=
        m.canary.errors * Math.log(p1 / p0) +
        (m.canary.requests - m.canary.errors) * Math.log((1 - p1) / (1 - p0));
    }
    return llr >= bound;
  });
}

export { LAG_MINUTES };

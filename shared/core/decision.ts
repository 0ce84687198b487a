/**
 * What the state machine does after a check: hold and check again, advance to the next step, promote,
 * or roll back. Pure: the time is passed in.
 */
import { MINUTE_MS } from './clock';
import type { Step } from './strategy';
import type { Verdict } from './verdict';

export type Action = 'advance' | 'hold' | 'promote' | 'rollback';

export interface Progress {
  /** Index into the schedule of the step being applied or baked. */
  stepIndex: number;
  /** When the current step's weight was applied (ISO 8601). */
  stepStartedAt?: string;
  /** When the canary first received traffic (ISO 8601); the analysis window starts here. */
  trafficStartedAt?: string;
  checks: number;
  consecutiveErrors: number;
}

export interface DecisionConfig {
  checkIntervalMinutes?: number | undefined;
  /** Evidence a promotion needs: canary requests × baseline error rate. */
  minExpectedErrors?: number | undefined;
  insufficientData: { action: 'rollback' | 'promote'; maxExtraMinutes: number };
}

export interface Decision {
  action: Action;
  reason: string;
  /** Seconds the Bake state waits before the next check (0 unless holding). */
  waitSeconds: number;
  progress: Progress;
  /** Set when the run moves on although a step never gathered enough data. */
  insufficientData?: boolean;
}

/** Consecutive analysis errors (e.g. CloudWatch access denied) tolerated before rolling back. */
export const MAX_ANALYSIS_ERRORS = 3;
const DEFAULT_RECHECK_SECONDS = 60;

export interface DecideInput {
  steps: readonly Step[];
  progress: Progress;
  verdict: Verdict;
  now: Date;
  /** End of the newest complete CloudWatch minute the verdict saw. */
  dataUntil: Date;
  config: DecisionConfig;
}

export function decide({ steps, progress, verdict, now, dataUntil, config }: DecideInput): Decision {
  const checked: Progress = {
    ...progress,
    checks: progress.checks + 1,
    consecutiveErrors: verdict.verdict === 'error' ? progress.consecutiveErrors + 1 : 0,
  };
  const step = steps[progress.stepIndex];
  if (verdict.verdict === 'fail') return stop('rollback', verdict.reason, checked);
  if (step === undefined || progress.stepStartedAt === undefined) {
    return stop('rollback', `no step ${progress.stepIndex} in a ${steps.length}-step schedule`, checked);
  }
  const recheck = Math.round((config.checkIntervalMinutes ?? DEFAULT_RECHECK_SECONDS / 60) * 60);
  if (verdict.verdict === 'error') {
    if (checked.consecutiveErrors >= MAX_ANALYSIS_ERRORS) {
      return stop(
        'rollback',
        `analysis failed ${checked.consecutiveErrors} checks in a row: ${verdict.reason}`,
        checked,
      );
    }
    return hold(recheck, `analysis error, checking again: ${verdict.reason}`, checked);
  }

  const stepEnd = Date.parse(progress.stepStartedAt) + step.bakeSeconds * 1000;
  const remaining = Math.ceil((stepEnd - now.getTime()) / 1000);
  if (remaining > 0) {
    // Inside a bake: a failure already rolled back above; anything else waits for the step's end.
    const wait = config.checkIntervalMinutes === undefined ? remaining : Math.min(recheck, remaining);
    return hold(
      wait,
      `step ${progress.stepIndex + 1} bakes ${remaining}s more (${verdict.verdict})`,
      checked,
    );
  }

  const last = progress.stepIndex === steps.length - 1;
  let weak: Verdict | undefined;
  if (verdict.verdict === 'pass') {
    // Promotion waits until CloudWatch has complete minutes for the whole of the last step.
    if (last && dataUntil.getTime() < stepEnd) {
      // CloudWatch's coverage moves a whole minute at a time, so it reaches stepEnd only at the minute
      // after it: a step that ended at 10:05:00.3 waits for the minute 10:05 to be complete, not 0.3 s.
      const lag = Math.ceil((Math.ceil(stepEnd / MINUTE_MS) * MINUTE_MS - dataUntil.getTime()) / 1000);
      return hold(Math.min(recheck, lag), `waiting ${lag}s for CloudWatch to cover the last step`, checked);
    }
    // ... and until the canary has served enough traffic for a regression to have shown: a short,
    // quiet canary that merely failed to fail is not evidence of a good release.
    const expected = verdict.evidence?.expectedErrors ?? 0;
    const needed = config.minExpectedErrors ?? 0;
    if (!last) return advance(verdict.reason, checked);
    if (expected >= needed) return stop('promote', verdict.reason, checked);
    weak = {
      verdict: 'inconclusive',
      reason:
        `not enough canary traffic to promote yet: ${expected} errors expected at the baseline's rate, ` +
        `${needed} needed (${verdict.reason})`,
    };
  }
  const pending = weak ?? verdict;

  const overdue = now.getTime() - stepEnd;
  const allowance = config.insufficientData.maxExtraMinutes * 60_000;
  if (overdue < allowance) {
    const wait = Math.min(recheck, Math.ceil((allowance - overdue) / 1000));
    return hold(wait, `step ${progress.stepIndex + 1} held for data: ${pending.reason}`, checked);
  }
  const why = `insufficient data after ${config.insufficientData.maxExtraMinutes} extra minutes: ${pending.reason}`;
  if (config.insufficientData.action === 'rollback') return stop('rollback', why, checked);
  const moved = last ? stop('promote', why, checked) : advance(why, checked);
  return { ...moved, insufficientData: true };
}

function stop(action: 'promote' | 'rollback', reason: string, progress: Progress): Decision {
  return { action, reason, waitSeconds: 0, progress };
}

function hold(waitSeconds: number, reason: string, progress: Progress): Decision {
  return { action: 'hold', reason, waitSeconds: Math.max(1, waitSeconds), progress };
}

function advance(reason: string, progress: Progress): Decision {
  return {
    action: 'advance',
    reason,
    waitSeconds: 0,
    progress: { ...progress, stepIndex: progress.stepIndex + 1 },
  };
}

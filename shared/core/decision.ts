/**
 * What the state machine does after a check: hold and check again, advance to the next step, promote,
 * or roll back. Pure: the time is passed in.
 */
import { bakeStart, checkWaitSeconds, secondsUntilCovered } from './cadence';
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
  /** An adaptive ramp's: the canary requests read when the current rung began (see rungRequests). */
  canaryRequestsAtStepStart?: number;
}

export interface DecisionConfig {
  checkIntervalMinutes?: number | undefined;
  /** With readUntil, holds wait for a new CloudWatch minute (see cadence.ts). */
  metricLagMinutes?: number | undefined;
  /** Read at every check, so checks for them go on between CloudWatch's minutes (see cadence.ts). */
  alarms?: readonly string[] | undefined;
  healthChecks?: readonly string[] | undefined;
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

/**
 * A step whose canary leans worse (regression evidence at least the square root of the rollback threshold,
 * 10 of 100 by default) is held instead of given more traffic, as Flagger halts on a failed check: more
 * evidence arrives at the same exposure. Under the null the evidence reaches it in at most 1 rollout in 10
 * (Ville), and then mostly drifts back down.
 */
export function leansWorse(verdict: Verdict): boolean {
  const test = verdict.evidence?.test;
  return test !== undefined && test.eValue >= Math.sqrt(test.threshold);
}

/**
 * An adaptive rung is left only while the data favour "no regression": rollback evidence above 1 means a
 * regression explains the errors better than a healthy canary, and more traffic would add to the harm of
 * a canary the test has not caught yet. Under the null, the evidence exceeds 1 at most as often as it
 * would anyway; holding there only delays, and a hold costs no alpha (the test's threshold is unchanged).
 */
export function rungLeansWorse(verdict: Verdict): boolean {
  const test = verdict.evidence?.test;
  return test !== undefined && test.eValue > 1;
}

export interface DecideInput {
  steps: readonly Step[];
  progress: Progress;
  verdict: Verdict;
  now: Date;
  /** End of the newest complete CloudWatch minute the verdict saw. */
  dataUntil: Date;
  /**
   * Where the minutes this check read end (the first unread minute starts here; the window's start while
   * it is empty). With config.metricLagMinutes, no hold ends before a new minute is readable.
   */
  readUntil?: Date;
  config: DecisionConfig;
}

export function decide({
  steps,
  progress,
  verdict,
  now,
  dataUntil,
  readUntil,
  config,
}: DecideInput): Decision {
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
  const lag = config.metricLagMinutes;
  // A check that would read nothing new is not made: it waits for the next minute CloudWatch can give.
  const untilNew = (wantedSeconds: number) =>
    readUntil === undefined || lag === undefined
      ? wantedSeconds
      : checkWaitSeconds({ now, readUntil, lagMinutes: lag, wantedSeconds, gated: isGated(config) });
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

  // On CloudWatch's clock (a lag given), a step that began in its minute's first seconds bakes from the
  // minute's start, so that its end is a minute's end (cadence.ts).
  const started = new Date(progress.stepStartedAt);
  const stepEnd = (lag === undefined ? started : bakeStart(started)).getTime() + step.bakeSeconds * 1000;
  const remaining = Math.ceil((stepEnd - now.getTime()) / 1000);
  if (remaining > 0) {
    // Inside a bake: a failure already rolled back above; anything else waits for the step's end.
    const wait = config.checkIntervalMinutes === undefined ? remaining : Math.min(recheck, remaining);
    return hold(
      untilNew(wait),
      `step ${progress.stepIndex + 1} bakes ${remaining}s more (${verdict.verdict})`,
      checked,
    );
  }

  const last = progress.stepIndex === steps.length - 1;
  let pending: Verdict = verdict;
  if (step.weight >= 100) {
    // All traffic is on the canary (AllAtOnce with gates): promote when the bake ends with gates clear.
    if (verdict.verdict === 'pass') return stop('promote', verdict.reason, checked);
  } else if (verdict.verdict === 'pass' || verdict.pending === 'evidence') {
    // An adaptive rung promotes as the last step does, once the promotion evidence is in, and only while it
    // could also be left: promotion is the largest step up, not taken while the canary leans worse.
    const promoting = step.adaptive ? verdict.verdict === 'pass' && !rungLeansWorse(verdict) : last;
    const short = step.adaptive && rungShortOfRequests(step.adaptive.minRequests, progress, verdict);
    const leaning: Verdict = {
      verdict: 'inconclusive',
      reason: `the canary leans worse (rollback evidence ${verdict.evidence?.test?.eValue} of ${verdict.evidence?.test?.threshold}); not giving it more traffic yet`,
    };
    if (!promoting && last) {
      // The adaptive ramp's last rung: held for the evidence, or while the canary leans worse.
      if (verdict.verdict === 'pass') pending = leaning;
    } else if (!promoting && short) {
      pending = { verdict: 'inconclusive', reason: short };
    } else if (!promoting) {
      if (!(step.adaptive ? rungLeansWorse(verdict) : leansWorse(verdict))) {
        return advance(verdict.reason, checked, verdict);
      }
      pending = leaning;
    } else if (verdict.verdict === 'pass') {
      // Promotion waits until CloudWatch has minutes for the whole of the last step (or rung). CloudWatch's coverage
      // moves a whole minute at a time, so it reaches stepEnd only at the minute after it: a step that
      // ended at 10:05:00.3 waits for the minute 10:05 to be complete, not 0.3 s.
      if (dataUntil.getTime() < stepEnd) {
        const missing = Math.ceil((Math.ceil(stepEnd / MINUTE_MS) * MINUTE_MS - dataUntil.getTime()) / 1000);
        const covered = lag === undefined ? missing : secondsUntilCovered(now, new Date(stepEnd), lag);
        return hold(
          untilNew(Math.min(recheck, covered)),
          `waiting ${lag === undefined ? missing : covered}s for CloudWatch to cover the last step`,
          checked,
        );
      }
      return stop('promote', verdict.reason, checked);
    }
  }

  const overdue = now.getTime() - stepEnd;
  const allowance = config.insufficientData.maxExtraMinutes * 60_000;
  if (overdue < allowance) {
    const wait = untilNew(Math.min(recheck, Math.ceil((allowance - overdue) / 1000)));
    const why =
      pending !== verdict ? '' : verdict.pending === 'evidence' ? ' for promotion evidence' : ' for data';
    return hold(wait, `step ${progress.stepIndex + 1} held${why}: ${pending.reason}`, checked);
  }
  if (step.adaptive && verdict.verdict === 'pass') {
    // Held only because the canary leaned worse: the promotion evidence is in, and the rollback evidence
    // never reached its threshold. Where the baseline has little traffic left (a top rung of 90%), that
    // evidence moves slowly either way; the hold was a delay for it, not a verdict.
    return stop(
      'promote',
      `${verdict.reason}; it leaned worse for ${config.insufficientData.maxExtraMinutes} extra minutes without the rollback evidence reaching its threshold`,
      checked,
    );
  }
  const why = `insufficient data after ${config.insufficientData.maxExtraMinutes} extra minutes: ${pending.reason}`;
  if (config.insufficientData.action === 'rollback') return stop('rollback', why, checked);
  const moved = last ? stop('promote', why, checked) : advance(why, checked);
  return { ...moved, insufficientData: true };
}

/** The rollout has alarms or health checks, which every check reads. */
export function isGated(config: Pick<DecisionConfig, 'alarms' | 'healthChecks'>): boolean {
  return (config.alarms?.length ?? 0) > 0 || (config.healthChecks?.length ?? 0) > 0;
}

function stop(action: 'promote' | 'rollback', reason: string, progress: Progress): Decision {
  return { action, reason, waitSeconds: 0, progress };
}

function hold(waitSeconds: number, reason: string, progress: Progress): Decision {
  return { action: 'hold', reason, waitSeconds: Math.max(1, waitSeconds), progress };
}

function advance(reason: string, progress: Progress, verdict?: Verdict): Decision {
  const requests = verdict?.evidence?.canary.requests;
  return {
    action: 'advance',
    reason,
    waitSeconds: 0,
    progress: {
      ...progress,
      stepIndex: progress.stepIndex + 1,
      ...(requests === undefined ? {} : { canaryRequestsAtStepStart: requests }),
    },
  };
}

/**
 * Why an adaptive rung may not be left yet: fewer than `minRequests` canary requests were read since it
 * began (the user's least requests a step). Undefined when enough were.
 */
export function rungShortOfRequests(
  minRequests: number,
  progress: Progress,
  verdict: Verdict,
): string | undefined {
  const read = (verdict.evidence?.canary.requests ?? 0) - (progress.canaryRequestsAtStepStart ?? 0);
  if (read >= minRequests) return undefined;
  return `${read} canary requests read at this weight, of the ${minRequests} a step needs before more traffic`;
}

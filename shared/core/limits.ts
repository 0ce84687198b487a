/**
 * Limits a plan must fit before any traffic moves: Step Functions fails an execution uncatchably past its
 * timeout or its history limit, and refuses state over 256 KB. A rollout that would hit one of them
 * midway would leave traffic split, so Plan refuses it up front, naming the field to change. Pure.
 */
import type { Step } from './strategy';

/** The state machine's TimeoutSeconds (statemachines/canary.asl.yml; a test keeps them equal). */
export const EXECUTION_TIMEOUT_SECONDS = 72 * 3600;
/** Step Functions' hard limit on a Standard execution's history. */
export const HISTORY_EVENT_LIMIT = 25_000;
/** What a plan may use of it; the rest is room for retries, hooks and operator holds. */
export const HISTORY_EVENT_BUDGET = 20_000;
/** Step Functions' limit on the state passed between states. */
export const STATE_LIMIT_BYTES = 256 * 1024;
/** Room the state needs beyond the input and the plan: traffic, the last check and its minutes, errors. */
export const STATE_RESERVE_BYTES = 48 * 1024;
/** Checks closer than this cannot see new CloudWatch minutes, and only fill the history. */
export const MIN_CHECK_SECONDS = 30;
/** A step shorter than a check cannot be judged. */
export const MIN_BAKE_SECONDS = 30;

/**
 * History events per state, as Step Functions records them: a Lambda Task 5 (entered, scheduled,
 * started, succeeded, exited), a Wait or a Choice 2. One check (Bake, Evaluate, Decide) makes 9; a new
 * step adds SetWeight and its Decide; the run's fixed states (Plan, Route, hooks, Promote or Rollback,
 * the end) about 30.
 */
const EVENTS_PER_CHECK = 9;
const EVENTS_PER_STEP = 7;
const FIXED_EVENTS = 30;

export interface ScheduleOptions {
  checkIntervalMinutes: number;
  metricLagMinutes: number;
  /** How long a step may be held past its bake for data (insufficientData.maxExtraMinutes). */
  maxExtraMinutes: number;
  /** Longest a rollout may wait in addition, e.g. for approvals or an operator's pause (seconds). */
  extraHoldSeconds?: number;
}

export interface ScheduleCost {
  /** The longest the rollout can run, in seconds. */
  worstCaseSeconds: number;
  /** History events at that length, before retries. */
  historyEvents: number;
}

/** The worst case of a schedule: every step held for data as long as allowed, checked every interval. */
export function scheduleCost(steps: readonly Step[], options: ScheduleOptions): ScheduleCost {
  const interval = Math.max(MIN_CHECK_SECONDS, options.checkIntervalMinutes * 60);
  const holdSeconds = (options.maxExtraMinutes + options.metricLagMinutes) * 60;
  let seconds = options.extraHoldSeconds ?? 0;
  let events = FIXED_EVENTS + Math.ceil((options.extraHoldSeconds ?? 0) / interval) * EVENTS_PER_CHECK;
  for (const step of steps) {
    const stepSeconds = step.bakeSeconds + holdSeconds;
    seconds += stepSeconds;
    events += EVENTS_PER_STEP + (Math.ceil(stepSeconds / interval) + 1) * EVENTS_PER_CHECK;
  }
  return { worstCaseSeconds: seconds, historyEvents: events };
}

/**
 * Every reason the schedule cannot run to its end, each naming the field to change; empty when it fits.
 * `stateBytes` is the size of the input and the plan as the state machine will carry them.
 */
export function scheduleProblems(
  steps: readonly Step[],
  options: ScheduleOptions,
  stateBytes: number,
): string[] {
  const problems: string[] = [];
  if (options.checkIntervalMinutes * 60 < MIN_CHECK_SECONDS) {
    problems.push(
      `analysis.checkIntervalMinutes: ${options.checkIntervalMinutes} checks more often than every ` +
        `${MIN_CHECK_SECONDS} s; CloudWatch has no new minute that often. Use 0.5 or more`,
    );
  }
  steps.forEach((step, i) => {
    if (step.bakeSeconds < MIN_BAKE_SECONDS) {
      problems.push(
        `strategy.steps[${i}].bakeMinutes: the step bakes ${step.bakeSeconds} s, shorter than one check ` +
          `(${MIN_BAKE_SECONDS} s); use 0.5 minutes or more`,
      );
    }
  });
  const cost = scheduleCost(steps, options);
  if (cost.worstCaseSeconds > EXECUTION_TIMEOUT_SECONDS) {
    problems.push(
      `strategy: the rollout could run ${hours(cost.worstCaseSeconds)} (steps plus up to ` +
        `${options.maxExtraMinutes + options.metricLagMinutes} minutes of holding each), past the state ` +
        `machine's ${hours(EXECUTION_TIMEOUT_SECONDS)} execution timeout; use fewer or shorter steps, or ` +
        'lower analysis.insufficientData.maxExtraMinutes',
    );
  }
  if (cost.historyEvents > HISTORY_EVENT_BUDGET) {
    const interval = options.checkIntervalMinutes;
    const needed = Math.ceil((interval * cost.historyEvents) / HISTORY_EVENT_BUDGET);
    problems.push(
      `analysis.checkIntervalMinutes: checking every ${interval} minute(s), this schedule makes about ` +
        `${cost.historyEvents.toLocaleString('en-US')} Step Functions history events, over the ` +
        `${HISTORY_EVENT_LIMIT.toLocaleString('en-US')} an execution may have (fledge keeps ` +
        `${(HISTORY_EVENT_LIMIT - HISTORY_EVENT_BUDGET).toLocaleString('en-US')} for retries); check every ` +
        `${needed} minutes or more, or shorten the strategy`,
    );
  }
  if (stateBytes + STATE_RESERVE_BYTES > STATE_LIMIT_BYTES) {
    problems.push(
      `(input): the input and its plan take ${kb(stateBytes)}, and the state machine carries both with ` +
        `room for the checks (${kb(STATE_RESERVE_BYTES)}) under Step Functions' ${kb(STATE_LIMIT_BYTES)} ` +
        'state limit; shorten it (fewer steps, alarms or dimensions)',
    );
  }
  return problems;
}

function hours(seconds: number): string {
  return `${Math.round((seconds / 3600) * 10) / 10} h`;
}

function kb(bytes: number): string {
  return `${Math.ceil(bytes / 1024)} KB`;
}

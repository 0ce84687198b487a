/**
 * When checks happen: on CloudWatch's clock. A check reads the complete minutes up to the newest one the
 * metric lag lets it see; a minute becomes readable at its end plus the lag, and a check is scheduled for
 * that moment plus a margin for its own start (the Wait state's and the Lambda's), never sooner. A check
 * that would read nothing new is not made. Pure: the state machine's steps, Plan's forecast and the
 * benchmark all call these.
 */
import { floorToMinute, MINUTE_MS } from './clock';

/**
 * Seconds after a minute becomes readable that its check is scheduled: Step Functions' Wait and the
 * check's Lambda start are not instant, and a check a moment early reads one minute fewer.
 */
export const CHECK_MARGIN_SECONDS = 5;

/** [start, end) of the minutes a check at `now` reads: from the canary's first minute to the newest complete one. */
export function checkWindow(
  trafficStartedAt: Date,
  now: Date,
  lagMinutes: number,
): { start: Date; end: Date } {
  return {
    start: floorToMinute(trafficStartedAt),
    end: new Date(floorToMinute(now).getTime() - lagMinutes * MINUTE_MS),
  };
}

/** When the minute starting at `minuteStart` can first be read by a check: its end, the lag, the margin. */
export function readableAt(minuteStart: Date, lagMinutes: number): Date {
  return new Date(
    floorToMinute(minuteStart).getTime() + (1 + lagMinutes) * MINUTE_MS + CHECK_MARGIN_SECONDS * 1000,
  );
}

export interface NextCheckInput {
  now: Date;
  /** End of the minutes read so far (the window's end); the first unread minute starts here. */
  readUntil: Date;
  lagMinutes: number;
  /** The check the caller wants, in seconds from now (a bake's end, a recheck interval). */
  wantedSeconds: number;
  /**
   * The rollout has alarms or health checks, read at every check: a check that reads no new minute still
   * reads them, so it is made when the next minute is further than GATE_SLACK_SECONDS past the wanted time.
   */
  gated?: boolean;
}

/** How much later than wanted a gated check may be made to read a new minute too. */
export const GATE_SLACK_SECONDS = 15;

/**
 * Seconds until the next check: the wanted wait, or longer when no new minute would be readable by then
 * (at least 1, as Step Functions' Wait takes whole seconds). With gates, alarms and health checks are not
 * left unread for longer than GATE_SLACK_SECONDS past the wanted time.
 */
export function checkWaitSeconds({
  now,
  readUntil,
  lagMinutes,
  wantedSeconds,
  gated,
}: NextCheckInput): number {
  const untilReadable = Math.ceil((readableAt(readUntil, lagMinutes).getTime() - now.getTime()) / 1000);
  if (gated && untilReadable > wantedSeconds + GATE_SLACK_SECONDS) return Math.max(1, wantedSeconds);
  return Math.max(1, wantedSeconds, untilReadable);
}

/**
 * Seconds until CloudWatch covers everything up to `until` (the end of a step): the minute holding
 * `until`'s last instant must be readable. A step ending on a whole minute needs no further minute.
 */
export function secondsUntilCovered(now: Date, until: Date, lagMinutes: number): number {
  const lastMinute = new Date(Math.ceil(until.getTime() / MINUTE_MS) * MINUTE_MS - MINUTE_MS);
  return Math.max(1, Math.ceil((readableAt(lastMinute, lagMinutes).getTime() - now.getTime()) / 1000));
}

/**
 * Seconds into a minute within which a step that began then bakes from the minute's start. A check runs
 * CHECK_MARGIN_SECONDS after its minute became readable and the weight moves a moment later: measured
 * from that moment, every step would end seconds into a minute CloudWatch has not closed, and the last
 * step would wait a whole minute more for the few seconds it spilled into it.
 */
export const BAKE_ALIGN_SECONDS = 15;

/** When a step's bake is counted from: the start of its minute if it began in its first seconds. */
export function bakeStart(stepStartedAt: Date): Date {
  const minute = floorToMinute(stepStartedAt);
  return stepStartedAt.getTime() - minute.getTime() < BAKE_ALIGN_SECONDS * 1000 ? minute : stepStartedAt;
}

export interface FirstCheckInput {
  /** When the step's weight was applied. */
  now: Date;
  trafficStartedAt: Date;
  lagMinutes: number;
  bakeSeconds: number;
  checkIntervalMinutes?: number | undefined;
  /** The rollout has alarms or health checks (see NextCheckInput.gated). */
  gated?: boolean;
}

/**
 * Seconds from a step's weight change to its first check: its bake (counted as bakeStart counts it) or the
 * check interval if shorter, and never before CloudWatch has a minute no check has read (for the first
 * step, the minute its traffic began in).
 */
export function firstCheckSeconds(input: FirstCheckInput): number {
  const { now, lagMinutes, bakeSeconds, checkIntervalMinutes } = input;
  const bakeEnd = bakeStart(now).getTime() + bakeSeconds * 1000;
  const untilBakeEnd = Math.ceil((bakeEnd - now.getTime()) / 1000);
  const wanted =
    checkIntervalMinutes === undefined
      ? untilBakeEnd
      : Math.min(untilBakeEnd, Math.round(checkIntervalMinutes * 60));
  const window = checkWindow(input.trafficStartedAt, now, lagMinutes);
  const readUntil = window.end.getTime() > window.start.getTime() ? window.end : window.start;
  return checkWaitSeconds({ now, readUntil, lagMinutes, wantedSeconds: wanted, gated: input.gated ?? false });
}

/**
 * Minutes a schedule takes on CloudWatch's clock, its evidence aside: the first step cannot advance
 * before its first minute is readable (1 + lag minutes), each other step bakes, and promotion waits for
 * CloudWatch to cover the last step (the lag). A sketch of what decide() and the checks' timing do.
 */
export function scheduleMinutesOnClock(
  steps: ReadonlyArray<{ bakeSeconds: number }>,
  lagMinutes: number,
): number {
  const [first, ...rest] = steps;
  if (!first) return 0;
  const firstStep = Math.max(first.bakeSeconds / 60, 1 + lagMinutes);
  return firstStep + rest.reduce((sum, s) => sum + s.bakeSeconds / 60, 0) + lagMinutes;
}

import { describe, expect, it } from 'vitest';
import {
  bakeStart,
  CHECK_MARGIN_SECONDS,
  checkWaitSeconds,
  checkWindow,
  firstCheckSeconds,
  readableAt,
  scheduleMinutesOnClock,
  secondsUntilCovered,
} from '../../shared/core/cadence';
import { decide } from '../../shared/core/decision';

const at = (clock: string) => new Date(`2026-11-02T${clock}Z`);

describe('checks on CloudWatch clock', () => {
  it('makes a minute readable at its end, plus the lag, plus the margin', () => {
    expect(readableAt(at('10:00:00'), 1)).toEqual(at(`10:02:0${CHECK_MARGIN_SECONDS}`));
    expect(readableAt(at('10:00:00'), 2)).toEqual(at(`10:03:0${CHECK_MARGIN_SECONDS}`));
  });

  it('reads up to the newest complete minute the lag allows', () => {
    expect(checkWindow(at('10:00:05'), at('10:02:05'), 1)).toEqual({
      start: at('10:00:00'),
      end: at('10:01:00'),
    });
  });

  it('does not make a check that would read nothing new: it waits for the next minute', () => {
    // The check at 10:02:05 read minutes up to 10:01; a recheck 30 s later would read nothing new.
    expect(
      checkWaitSeconds({ now: at('10:02:05'), readUntil: at('10:01:00'), lagMinutes: 1, wantedSeconds: 30 }),
    ).toBe(60);
    // A bake that ends after the next minute is readable is waited for.
    expect(
      checkWaitSeconds({ now: at('10:02:05'), readUntil: at('10:01:00'), lagMinutes: 1, wantedSeconds: 90 }),
    ).toBe(90);
  });

  it('still reads alarms at the interval when the next minute is far, but not a few seconds before it', () => {
    const far = {
      now: at('10:00:05'),
      readUntil: at('10:00:00'),
      lagMinutes: 1,
      wantedSeconds: 55,
      gated: true,
    };
    const near = {
      now: at('10:01:00'),
      readUntil: at('10:00:00'),
      lagMinutes: 1,
      wantedSeconds: 60,
      gated: true,
    };

    expect(checkWaitSeconds(far)).toBe(55);
    expect(checkWaitSeconds(near)).toBe(65);
  });

  it("schedules a rollout's first check for its first readable minute, not the empty window after one bake", () => {
    const first = firstCheckSeconds({
      now: at('10:00:03'),
      trafficStartedAt: at('10:00:03'),
      lagMinutes: 1,
      bakeSeconds: 60,
    });

    expect(first).toBe(122);
  });

  it('bakes a step that began in its minute s first seconds from the minute, so it ends with a minute', () => {
    expect(bakeStart(at('10:03:08'))).toEqual(at('10:03:00'));
    expect(bakeStart(at('10:03:40'))).toEqual(at('10:03:40'));
    const next = firstCheckSeconds({
      now: at('10:03:08'),
      trafficStartedAt: at('10:00:03'),
      lagMinutes: 1,
      bakeSeconds: 60,
    });
    expect(next).toBe(57); // 10:04:05, when minute 10:02 is readable and the bake has ended
  });

  it('waits for the minute holding the end of the last step', () => {
    expect(secondsUntilCovered(at('10:04:05'), at('10:04:00'), 1)).toBe(60);
    expect(secondsUntilCovered(at('10:04:05'), at('10:04:03'), 1)).toBe(120);
  });

  it("sketches a schedule's length on the clock: the first step waits for data, the last for coverage", () => {
    const linear = Array.from({ length: 9 }, () => ({ bakeSeconds: 60 }));

    expect(scheduleMinutesOnClock(linear, 1)).toBe(11);
    expect(scheduleMinutesOnClock([{ bakeSeconds: 300 }], 1)).toBe(6);
    expect(scheduleMinutesOnClock([], 1)).toBe(0);
  });

  it('makes decide() hold until a new minute is readable when the lag is given', () => {
    const steps = [
      { weight: 10, bakeSeconds: 60 },
      { weight: 20, bakeSeconds: 60 },
    ];
    const progress = {
      stepIndex: 0,
      stepStartedAt: at('10:00:03').toISOString(),
      trafficStartedAt: at('10:00:03').toISOString(),
      checks: 0,
      consecutiveErrors: 0,
    };
    const verdict = { verdict: 'inconclusive' as const, pending: 'data' as const, reason: 'few requests' };
    // A 30-second interval: a recheck 30 s after a check would read nothing new.
    const config = {
      checkIntervalMinutes: 0.5,
      insufficientData: { action: 'rollback' as const, maxExtraMinutes: 15 },
    };
    const input = { steps, progress, verdict, now: at('10:02:05'), dataUntil: at('10:01:00'), config };

    const onClock = decide({
      ...input,
      readUntil: at('10:01:00'),
      config: { ...config, metricLagMinutes: 1 },
    });
    const without = decide(input);

    expect(onClock).toMatchObject({ action: 'hold', waitSeconds: 60 });
    expect(without).toMatchObject({ action: 'hold', waitSeconds: 30 });
  });
});

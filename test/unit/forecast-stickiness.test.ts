/**
 * The forecast when requests follow a new weight only after a while (ELB target group stickiness: a
 * session keeps its target group for the stickiness duration, so only new sessions follow a step).
 */
import { describe, expect, it } from 'vitest';
import { forecastRollout } from '../../shared/core/history';
import { priorAt } from '../support/prior';

const prior = priorAt(200);
const config = {
  beta: 0.2,
  maxRegression: { ratio: 4, floor: 0.005 },
  metricLagMinutes: 1,
  insufficientData: { maxExtraMinutes: 30 },
};
const steps = [
  { weight: 10, bakeSeconds: 300 },
  { weight: 50, bakeSeconds: 300 },
];

describe('forecastRollout with sessions that keep their side (shareLagSeconds)', () => {
  it('counts each step at the previous share until the lag has passed, so it expects fewer canary requests', () => {
    const plain = forecastRollout(steps, prior, config);
    const sticky = forecastRollout(steps, prior, { ...config, shareLagSeconds: 120 });

    // At 200 requests a minute the evidence outlasts the 10-minute schedule at 50%: the two minutes of
    // each step still on the previous share push it two minutes later.
    expect(plain.minutes).toBe(14);
    expect(sticky.minutes).toBe(16);
    expect(sticky.reason).toContain("counting each step's share only from 2 minutes into it");
    expect(plain.reason).not.toContain('counting each step');
  });

  it('names the steps no longer than the stickiness, whose share may never be reached', () => {
    const sticky = forecastRollout(steps, prior, { ...config, shareLagSeconds: 300 });

    expect(sticky.reason).toContain('(steps[0], steps[1] are no longer than that');
  });

  it('counts nothing for the first step while every session is still on the stable side', () => {
    // One 10% step of 3 minutes, with sessions kept 3 minutes: the schedule gives the canary no request,
    // so the evidence waits for the hold after it, where without stickiness it comes within the step.
    const busy = priorAt(20_000);
    const sticky = forecastRollout([{ weight: 10, bakeSeconds: 180 }], busy, {
      ...config,
      insufficientData: { maxExtraMinutes: 0 },
      shareLagSeconds: 180,
    });
    const plain = forecastRollout([{ weight: 10, bakeSeconds: 180 }], busy, {
      ...config,
      insufficientData: { maxExtraMinutes: 0 },
    });

    expect(plain.minutes).toBe(4);
    expect(plain.reason).toContain(
      "the 3-minute schedule, the first step's first minute to be read, then the 1-minute metric lag",
    );
    expect(sticky.minutes).toBe(5);
    expect(sticky.reason).toContain('longer than the 3-minute schedule');
  });
});

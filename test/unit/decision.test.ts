import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide, type Progress } from '../../shared/core/decision';
import { resolveStrategy } from '../../shared/core/strategy';
import { judge, type Verdict } from '../../shared/core/verdict';

const T = Date.UTC(2026, 10, 2, 10, 0);
const at = (minute: number) => new Date(T + minute * 60_000);
const config = {
  checkIntervalMinutes: 1,
  minExpectedErrors: 5,
  insufficientData: { action: 'rollback' as const, maxExtraMinutes: 15 },
};
const progress = (stepIndex: number, startedMinute: number): Progress => ({
  stepIndex,
  stepStartedAt: at(startedMinute).toISOString(),
  trafficStartedAt: at(0).toISOString(),
  checks: 0,
  consecutiveErrors: 0,
});
const pass = (expectedErrors: number): Verdict => ({
  verdict: 'pass',
  reason: 'no regression detected',
  evidence: {
    window: { start: '', end: '' },
    minutes: 5,
    expectedErrors,
    canary: { requests: 500, errors: 1, errorRate: 0.002 },
    baseline: { requests: 4500, errors: 20, errorRate: 0.0044 },
    alarmsInAlarm: [],
  },
});
const steps = resolveStrategy('Canary10Percent5Minutes');

describe('decide', () => {
  it('promotes after the last step when the canary has shown enough', () => {
    const d = decide({
      steps,
      progress: progress(0, 0),
      verdict: pass(6),
      now: at(7),
      dataUntil: at(5),
      config,
    });

    expect(d.action).toBe('promote');
  });

  it('holds a passing last step until the canary could have shown a regression', () => {
    const d = decide({
      steps,
      progress: progress(0, 0),
      verdict: pass(2.2),
      now: at(7),
      dataUntil: at(5),
      config,
    });

    expect(d.action).toBe('hold');
    expect(d.reason).toMatch(/not enough canary traffic to promote yet: 2.2 errors expected .* 5 needed/);
  });

  it('rolls back, explicitly, when that evidence never comes', () => {
    const d = decide({
      steps,
      progress: progress(0, 0),
      verdict: pass(2.2),
      now: at(21),
      dataUntil: at(19),
      config,
    });

    expect(d.action).toBe('rollback');
    expect(d.reason).toMatch(/^insufficient data after 15 extra minutes: not enough canary traffic/);
  });

  it('waits for CloudWatch to cover the last step before promoting', () => {
    const d = decide({
      steps,
      progress: progress(0, 0),
      verdict: pass(50),
      now: at(6),
      dataUntil: at(4),
      config,
    });

    expect(d.action).toBe('hold');
    expect(d.reason).toMatch(/waiting 60s for CloudWatch to cover the last step/);
  });

  it('waits for the whole minute in which the last step ended, not for a fraction of it', () => {
    const started = new Date(at(0).getTime() + 300);

    const d = decide({
      steps,
      progress: { ...progress(0, 0), stepStartedAt: started.toISOString() },
      verdict: pass(50),
      now: new Date(at(7).getTime() + 1_000),
      dataUntil: at(5),
      config,
    });

    expect(d.action).toBe('hold');
    expect(d.waitSeconds).toBe(60);
    expect(d.reason).toMatch(/waiting 60s for CloudWatch to cover the last step/);
  });

  it('rolls back on a failing verdict at any time, and never advances or promotes inside a bake', () => {
    const linear = resolveStrategy('Linear10PercentEvery3Minutes');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: linear.length - 1 }),
        fc.integer({ min: 0, max: 2 }),
        fc.constantFrom<Verdict['verdict']>('pass', 'fail', 'inconclusive', 'error'),
        (stepIndex, intoStep, kind) => {
          const verdict: Verdict = kind === 'pass' ? pass(100) : { verdict: kind, reason: kind };
          const start = stepIndex * 3;
          const d = decide({
            steps: linear,
            progress: progress(stepIndex, start),
            verdict,
            now: at(start + intoStep),
            dataUntil: at(start + intoStep - 2),
            config,
          });
          if (kind === 'fail') expect(d.action).toBe('rollback');
          else expect(['hold', 'rollback']).toContain(d.action);
          if (d.action === 'advance') expect(d.progress.stepIndex).toBe(stepIndex + 1);
        },
      ),
    );
  });

  it('advances exactly one step when a finished step passes', () => {
    const linear = resolveStrategy('Linear10PercentEvery1Minute');

    const d = decide({
      steps: linear,
      progress: progress(3, 3),
      verdict: pass(0),
      now: at(4),
      dataUntil: at(2),
      config,
    });

    expect(d.action).toBe('advance');
    expect(d.progress.stepIndex).toBe(4);
  });
});

describe('the evidence a promotion needs', () => {
  it('is sized at 0.5% for an error-free baseline, so such services still promote', () => {
    const verdict = judge({
      window: { start: at(0), end: at(10) },
      minutes: [
        {
          at: at(0).toISOString(),
          canary: { requests: 1000, errors: 0 },
          baseline: { requests: 9000, errors: 0 },
        },
      ],
      alarmsInAlarm: [],
      config: { alpha: 0.01, tolerance: 0, minInvocations: 50 },
    });

    expect(verdict.verdict).toBe('pass');
    expect(verdict.evidence?.expectedErrors).toBe(5);
  });
});

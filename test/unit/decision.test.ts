import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assess } from '../../shared/core/assess';
import { decide, type Progress } from '../../shared/core/decision';
import type { PairedMinute } from '../../shared/core/sequential-test';
import { resolveStrategy, type Step } from '../../shared/core/strategy';
import { judge, type Verdict } from '../../shared/core/verdict';
import { priorAt } from '../support/prior';

const T = Date.UTC(2026, 10, 2, 10, 0);
const at = (minute: number) => new Date(T + minute * 60_000);
const config = {
  checkIntervalMinutes: 1,
  insufficientData: { action: 'rollback' as const, maxExtraMinutes: 15 },
};
const judgeConfig = {
  alpha: 0.01,
  beta: 0.01,
  tolerance: 0,
  maxRegression: { ratio: 4, floor: 0.005 },
  minInvocations: 50,
};
const progress = (stepIndex: number, startedMinute: number): Progress => ({
  stepIndex,
  stepStartedAt: at(startedMinute).toISOString(),
  trafficStartedAt: at(0).toISOString(),
  checks: 0,
  consecutiveErrors: 0,
});
const evidence = (eValue = 1) => ({
  window: { start: '', end: '' },
  minutes: 5,
  canary: { requests: 500, errors: 1, errorRate: 0.002 },
  baseline: { requests: 4500, errors: 20, errorRate: 0.0044 },
  test: { eValue, threshold: 100, rateRatio: 0.45, tolerance: 0, dispersion: 1 },
  alarmsInAlarm: [],
});
const pass: Verdict = { verdict: 'pass', reason: 'canary shown not 4x worse', evidence: evidence() };
const watching = (eValue = 1): Verdict => ({
  verdict: 'inconclusive',
  pending: 'evidence',
  reason: 'watching: canary 1/500 vs baseline 20/4500',
  evidence: evidence(eValue),
});
const noData: Verdict = {
  verdict: 'inconclusive',
  pending: 'data',
  reason: 'only 20 canary requests so far',
};
const steps = resolveStrategy('Canary10Percent5Minutes');

describe('decide', () => {
  it('promotes after the last step once the canary is shown not maxRegression worse', () => {
    const d = decide({
      steps,
      progress: progress(0, 0),
      verdict: pass,
      now: at(7),
      dataUntil: at(6),
      config,
    });

    expect(d.action).toBe('promote');
  });

  it('holds a last step that has not failed but is not shown safe either, and says what for', () => {
    const d = decide({
      steps,
      progress: progress(0, 0),
      verdict: watching(),
      now: at(7),
      dataUntil: at(6),
      config,
    });

    expect(d.action).toBe('hold');
    expect(d.reason).toMatch(/^step 1 held for promotion evidence: watching/);
  });

  it('rolls back, explicitly, when that evidence never comes', () => {
    const d = decide({
      steps,
      progress: progress(0, 0),
      verdict: watching(),
      now: at(21),
      dataUntil: at(20),
      config,
    });

    expect(d.action).toBe('rollback');
    expect(d.reason).toMatch(/^insufficient data after 15 extra minutes: watching/);
  });

  it('waits for CloudWatch to cover the last step before promoting', () => {
    const d = decide({
      steps,
      progress: progress(0, 0),
      verdict: pass,
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
      verdict: pass,
      now: new Date(at(7).getTime() + 1_000),
      dataUntil: at(5),
      config,
    });

    expect(d.action).toBe('hold');
    expect(d.waitSeconds).toBe(60);
    expect(d.reason).toMatch(/waiting 60s for CloudWatch to cover the last step/);
  });

  it('advances a finished intermediate step that is watched, not yet shown safe', () => {
    const linear = resolveStrategy('Linear10PercentEvery1Minute');

    const d = decide({
      steps: linear,
      progress: progress(3, 3),
      verdict: watching(),
      now: at(4),
      dataUntil: at(3),
      config,
    });

    expect(d.action).toBe('advance');
    expect(d.progress.stepIndex).toBe(4);
  });

  it('gives a canary that leans worse no more traffic, but does not roll it back yet', () => {
    const linear = resolveStrategy('Linear10PercentEvery1Minute');

    const d = decide({
      steps: linear,
      progress: progress(3, 3),
      verdict: watching(12),
      now: at(4),
      dataUntil: at(3),
      config,
    });

    expect(d.action).toBe('hold');
    expect(d.reason).toMatch(/leans worse \(rollback evidence 12 of 100\)/);
  });

  it('holds a step without enough data instead of advancing it', () => {
    const linear = resolveStrategy('Linear10PercentEvery1Minute');

    const d = decide({
      steps: linear,
      progress: progress(3, 3),
      verdict: noData,
      now: at(4),
      dataUntil: at(3),
      config,
    });

    expect(d.action).toBe('hold');
    expect(d.reason).toMatch(/held for data: only 20 canary requests/);
  });

  it('rolls back on a failing verdict at any time, and never advances or promotes inside a bake', () => {
    const linear = resolveStrategy('Linear10PercentEvery3Minutes');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: linear.length - 1 }),
        fc.integer({ min: 0, max: 2 }),
        fc.constantFrom<Verdict>(
          pass,
          watching(),
          noData,
          { verdict: 'fail', reason: 'f' },
          { verdict: 'error', reason: 'e' },
        ),
        (stepIndex, intoStep, verdict) => {
          const start = stepIndex * 3;
          const d = decide({
            steps: linear,
            progress: progress(stepIndex, start),
            verdict,
            now: at(start + intoStep),
            dataUntil: at(start + intoStep - 1),
            config,
          });
          if (verdict.verdict === 'fail') expect(d.action).toBe('rollback');
          else expect(['hold', 'rollback']).toContain(d.action);
        },
      ),
    );
  });

  it('promotes only on a pass, whatever the step, time and verdict', () => {
    const linear = resolveStrategy('Linear10PercentEvery1Minute');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: linear.length - 1 }),
        fc.integer({ min: 0, max: 40 }),
        fc.constantFrom<Verdict>(pass, watching(), watching(50), noData, { verdict: 'error', reason: 'e' }),
        (stepIndex, minute, verdict) => {
          const d = decide({
            steps: linear,
            progress: progress(stepIndex, stepIndex),
            verdict,
            now: at(stepIndex + minute),
            dataUntil: at(stepIndex + minute - 1),
            config,
          });
          if (d.action === 'promote') expect(verdict.verdict).toBe('pass');
        },
      ),
    );
  });
});

describe('AllAtOnce with alarms: the switch step', () => {
  const switchStep: Step[] = [{ weight: 100, bakeSeconds: 300 }];

  it('watches the gates during its bake, promotes at its end, and rolls back on an alarm at any time', () => {
    const hold = assess({
      steps: switchStep,
      progress: progress(0, 0),
      config: { ...judgeConfig, ...config },
      now: at(2),
      window: { start: at(0), end: at(1) },
      minutes: [],
    });
    const promote = assess({
      steps: switchStep,
      progress: progress(0, 0),
      config: { ...judgeConfig, ...config },
      now: at(5),
      window: { start: at(0), end: at(4) },
      minutes: [],
    });
    const alarm = assess({
      steps: switchStep,
      progress: progress(0, 0),
      config: { ...judgeConfig, ...config },
      now: at(0.5),
      window: { start: at(0), end: at(0) },
      alarmsInAlarm: ['checkout-errors'],
    });

    expect(hold.decision.action).toBe('hold');
    expect(promote.decision.action).toBe('promote');
    expect(alarm.verdict.reason).toBe('alarm in ALARM: checkout-errors');
    expect(alarm.decision.action).toBe('rollback');
  });
});

describe('gates from the first minute', () => {
  it('rolls back on an alarm before CloudWatch has a single complete minute', () => {
    const { verdict, decision } = assess({
      steps,
      progress: progress(0, 0),
      config: { ...judgeConfig, ...config },
      now: at(1),
      window: { start: at(0), end: at(0) },
      alarmsInAlarm: [],
      unhealthyChecks: ['hc-canary'],
    });

    expect(verdict.verdict).toBe('fail');
    expect(decision.action).toBe('rollback');
  });
});

describe('judge', () => {
  const minutes = (count: number, canary: [number, number], baseline: [number, number]): PairedMinute[] =>
    Array.from({ length: count }, (_, i) => ({
      at: at(i).toISOString(),
      canary: { requests: canary[0], errors: canary[1] },
      baseline: { requests: baseline[0], errors: baseline[1] },
    }));
  const window = { start: at(0), end: at(5) };

  it("with historyEvidence, also weighs the canary against the stable version's last hour, and says so", () => {
    // Three minutes at 70%: 2,100 canary requests failing like the hour's 0.5%.
    const data = minutes(3, [700, 3], [300, 2]);
    const prior = priorAt(1000);
    const paired = judge({ window, minutes: data, alarmsInAlarm: [], prior, config: judgeConfig });
    const both = judge({
      window,
      minutes: data,
      alarmsInAlarm: [],
      prior,
      config: { ...judgeConfig, historyEvidence: true },
    });

    expect(paired.verdict).toBe('inconclusive');
    expect(paired.evidence?.safety?.history).toBeUndefined();
    expect(both.verdict).toBe('pass');
    expect(both.evidence?.safety?.history).toMatchObject({ dropped: false });
    expect(both.evidence?.safety?.history?.nullRate).toBeGreaterThan(0.015);
  });

  it('with historyEvidence, says the promotion needs fewer canary requests, as it does', () => {
    // At 70% the baseline is too quiet for the same-minute comparison; the hour's rate is not.
    const data = minutes(1, [700, 3], [300, 2]);
    const prior = priorAt(1000);
    const judged = (historyEvidence: boolean) =>
      judge({ window, minutes: data, alarmsInAlarm: [], prior, config: { ...judgeConfig, historyEvidence } })
        .evidence?.safety?.moreCanaryRequests ?? Number.NaN;

    expect(judged(true)).toBeGreaterThan(0);
    expect(judged(true)).toBeLessThan(judged(false) / 2);
  });

  it('never passes a canary that has not been shown safe: a 3x canary early on is "watching"', () => {
    const verdict = judge({
      window,
      minutes: minutes(3, [100, 1], [900, 3]),
      alarmsInAlarm: [],
      config: judgeConfig,
    });

    expect(verdict.verdict).toBe('inconclusive');
    expect(verdict.pending).toBe('evidence');
    expect(verdict.reason).toMatch(
      /^watching: canary 3\/300 \(1%\) vs baseline 9\/2700 \(0.333%\); rollback evidence [\d.]+ of 100, promotion evidence [\d.]+ of 100; promotion needs about [\d,]+ more canary requests at the baseline's error rate$/,
    );
  });

  it('is never a pass without data or before minInvocations, whatever the counts', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            cr: fc.nat(30),
            ce: fc.nat(3),
            br: fc.nat(3000),
            be: fc.nat(30),
          }),
          { maxLength: 10 },
        ),
        (raw) => {
          const data: PairedMinute[] = raw.map((m, i) => ({
            at: at(i).toISOString(),
            canary: { requests: m.cr, errors: Math.min(m.ce, m.cr) },
            baseline: { requests: m.br, errors: Math.min(m.be, m.br) },
          }));
          const canaryRequests = data.reduce((sum, m) => sum + m.canary.requests, 0);
          const verdict = judge({
            window,
            minutes: data,
            alarmsInAlarm: [],
            config: { ...judgeConfig, minInvocations: 301 },
          });
          if (canaryRequests <= 300) expect(verdict.verdict).not.toBe('pass');
        },
      ),
    );
  });

  it.each([
    ['NaN', { requests: 100, errors: Number.NaN }, /^canary errors is NaN at .*T10:01.*not a number/],
    [
      'infinite',
      { requests: Number.POSITIVE_INFINITY, errors: 0 },
      /^canary requests is Infinity at .*not finite/,
    ],
    ['negative', { requests: 100, errors: -1 }, /^canary errors is -1 at .*negative/],
    ['fractional', { requests: 100.5, errors: 1 }, /^canary requests is 100.5 at .*not a whole count/],
    [
      'more errors than requests',
      { requests: 10, errors: 11 },
      /^canary errors \(11\) exceed its requests \(10\) at /,
    ],
  ])('calls a %s count an error, naming the metric and the minute', (_name, canary, message) => {
    const data = minutes(3, [100, 0], [900, 4]);
    const broken = data[1] as PairedMinute;
    data[1] = { ...broken, canary };

    const verdict = judge({ window, minutes: data, alarmsInAlarm: [], config: judgeConfig });

    expect(verdict.verdict).toBe('error');
    expect(verdict.reason).toMatch(message);
  });

  it('cannot judge, and never promotes, a canary whose error series has no datapoints', () => {
    const data = minutes(20, [100, 0], [900, 4]).map((m) => ({ ...m, missing: ['canary.errors'] }));

    const verdict = judge({
      window,
      minutes: data,
      alarmsInAlarm: [],
      names: { requests: 'AWS/Lambda Invocations', errors: 'AWS/Lambda Errors' },
      config: judgeConfig,
    });

    expect(verdict.verdict).toBe('inconclusive');
    expect(verdict.pending).toBe('data');
    expect(verdict.reason).toMatch(
      /no datapoints for canary AWS\/Lambda Errors in 20 of 20 minutes with requests.*publishedOnlyWhenNonZero/,
    );
  });

  it('counts a missing datapoint as zero errors when the metric is published only when non-zero', () => {
    const data = minutes(20, [100, 0], [900, 4]).map((m) => ({ ...m, missing: ['canary.errors'] }));

    const verdict = judge({
      window,
      minutes: data,
      alarmsInAlarm: [],
      config: { ...judgeConfig, errors: { publishedOnlyWhenNonZero: true } },
    });

    expect(verdict.verdict).toBe('pass');
  });

  it('leaves out a newest minute whose errors have not arrived yet', () => {
    const data = minutes(20, [100, 0], [900, 4]);
    const newest = data[19] as PairedMinute;
    data[19] = { ...newest, canary: { requests: 100, errors: 0 }, missing: ['canary.errors'] };

    const verdict = judge({ window, minutes: data, alarmsInAlarm: [], config: judgeConfig });

    expect(verdict.verdict).toBe('pass');
    expect(verdict.evidence?.canary.requests).toBe(1900);
  });

  it('leaves out a newest minute whose requests have not all arrived (more errors than requests there alone)', () => {
    // Series reported separately (ALB RequestCount and HTTPCode_Target_5XX_Count) may show a minute's errors
    // before its requests; the next check reads that minute again, complete.
    const data = minutes(20, [100, 0], [900, 4]);
    const newest = data[19] as PairedMinute;
    data[19] = { ...newest, canary: { requests: 0, errors: 2 } };

    const verdict = judge({ window, minutes: data, alarmsInAlarm: [], config: judgeConfig });

    expect(verdict.verdict).toBe('pass');
    expect(verdict.evidence?.canary.requests).toBe(1900);
    expect(verdict.evidence?.window.end).toBe(at(19).toISOString());
  });

  it('does not promote before the minutes it left out are judged: the last step must be covered', () => {
    const data = minutes(20, [100, 0], [900, 4]);
    const newest = data[19] as PairedMinute;
    data[19] = { ...newest, missing: ['canary.errors'] };

    const { verdict, decision } = assess({
      steps: [{ weight: 10, bakeSeconds: 1200 }],
      progress: progress(0, 0),
      config: { ...judgeConfig, ...config },
      now: at(21),
      window: { start: at(0), end: at(20) },
      minutes: data,
    });

    expect(verdict.verdict).toBe('pass');
    expect(decision.action).toBe('hold');
    expect(decision.reason).toMatch(/^waiting \d+s for CloudWatch to cover the last step/);
  });

  it('fails a canary with more slow requests above its threshold than the baseline above its own', () => {
    const data = minutes(10, [200, 1], [800, 4]).map((m) => ({
      ...m,
      latency: { p99: { canary: { samples: 200, slow: 12 }, baseline: { samples: 800, slow: 8 } } },
    }));

    const verdict = judge({
      window,
      minutes: data,
      alarmsInAlarm: [],
      latency: [{ statistic: 'p99', canary: 144, baseline: 120 }],
      config: judgeConfig,
    });

    expect(verdict.verdict).toBe('fail');
    expect(verdict.reason).toMatch(
      /^canary p99 latency is worse than baseline's: 120\/2000 canary requests slower than 144 vs 80\/8000 baseline requests slower than 120/,
    );
  });
});

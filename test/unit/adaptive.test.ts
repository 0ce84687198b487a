import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide, type Progress } from '../../shared/core/decision';
import { DeployInputSchema, describeIssues, resolvedAnalysis } from '../../shared/core/schema';
import {
  ADAPTIVE_DEFAULTS,
  adaptiveBounds,
  adaptiveRamp,
  isAdaptive,
  resolveStrategy,
  TOP_RUNG,
} from '../../shared/core/strategy';
import type { Verdict } from '../../shared/core/verdict';

const T = Date.UTC(2026, 10, 2, 10, 0);
const at = (minute: number) => new Date(T + minute * 60_000);
const config = {
  checkIntervalMinutes: 1,
  insufficientData: { action: 'rollback' as const, maxExtraMinutes: 15 },
};
const ramp = resolveStrategy('Adaptive');
const progress = (stepIndex: number, canaryRequestsAtStepStart = 0): Progress => ({
  stepIndex,
  stepStartedAt: at(0).toISOString(),
  trafficStartedAt: at(0).toISOString(),
  checks: 0,
  consecutiveErrors: 0,
  canaryRequestsAtStepStart,
});
const verdictOf = (kind: 'pass' | 'watching', canaryRequests: number, eValue: number): Verdict => ({
  verdict: kind === 'pass' ? 'pass' : 'inconclusive',
  ...(kind === 'pass' ? {} : { pending: 'evidence' as const }),
  reason: kind === 'pass' ? 'canary shown not 4x worse' : 'watching',
  evidence: {
    window: { start: at(0).toISOString(), end: at(3).toISOString() },
    minutes: 3,
    canary: { requests: canaryRequests, errors: 1, errorRate: 1 / canaryRequests },
    baseline: { requests: 4500, errors: 20, errorRate: 0.0044 },
    test: { eValue, threshold: 100, rateRatio: 1, tolerance: 0, dispersion: 1 },
    alarmsInAlarm: [],
  },
});
const decideAt = (verdict: Verdict, p: Progress, when = at(3)) =>
  decide({ steps: ramp, progress: p, verdict, now: when, dataUntil: when, config });

describe('analysis.historyEvidence', () => {
  const target = { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' };
  const fixed = { metricLagMinutes: 1, maxExtraMinutes: 30 };
  const parsed = (analysis: Record<string, unknown>) =>
    DeployInputSchema.parse({ target, analysis }).analysis;

  it('is on for the adaptive ramp and off for fixed schedules unless given', () => {
    expect(resolvedAnalysis(parsed({}), { ...fixed, adaptive: true }).historyEvidence).toBe(true);
    expect(resolvedAnalysis(parsed({}), { ...fixed, adaptive: false }).historyEvidence).toBe(false);
    expect(
      resolvedAnalysis(parsed({ historyEvidence: false }), { ...fixed, adaptive: true }).historyEvidence,
    ).toBe(false);
    expect(
      resolvedAnalysis(parsed({ historyEvidence: true }), { ...fixed, adaptive: false }).historyEvidence,
    ).toBe(true);
    expect(isAdaptive(ramp)).toBe(true);
    expect(isAdaptive(resolveStrategy('Linear10PercentEvery1Minute'))).toBe(false);
  });

  it('names the field when it is not a boolean', () => {
    const result = DeployInputSchema.safeParse({ target, analysis: { historyEvidence: 'yes' } });
    expect(result.success).toBe(false);
    expect(describeIssues(result.error?.issues ?? []).join('\n')).toMatch(/analysis\.historyEvidence/);
  });
});

describe('the adaptive ramp', () => {
  it('starts at 8% and at most triples, never past the largest step, staying at or below 80 after the first rung', () => {
    expect(ramp.map((s) => s.weight)).toEqual([8, 24, 72]);
    expect(
      adaptiveRamp(adaptiveBounds({ initialWeight: 1, maxStepWeight: 10 })).map((s) => s.weight),
    ).toEqual([1, 3, 9, 19, 29, 39, 49, 59, 69, 79, 80]);
    // No rung above 80%: the stable version keeps a fifth of the traffic to compare with.
    expect(resolveStrategy({ adaptive: { initialWeight: 5 } }).map((s) => s.weight)).toEqual([5, 15, 45, 80]);
    expect(resolveStrategy({ adaptive: { initialWeight: 40 } }).map((s) => s.weight)).toEqual([40, 80]);
  });

  it('never steps past its bounds, whatever they are (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 99_000 }).map((w) => w / 1000),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 120 }),
        (initialWeight, maxStepWeight, minBakeMinutes) => {
          const steps = adaptiveRamp(adaptiveBounds({ initialWeight, maxStepWeight, minBakeMinutes }));
          expect(steps[0]?.weight).toBe(initialWeight);
          steps.forEach((step, i) => {
            const before = steps[i - 1]?.weight ?? 0;
            expect(step.weight).toBeLessThan(100);
            if (i > 0) expect(step.weight).toBeLessThanOrEqual(TOP_RUNG);
            expect(step.weight).toBeGreaterThan(before);
            if (i > 0) expect(step.weight - before).toBeLessThanOrEqual(maxStepWeight + 1e-9);
            expect(step.bakeSeconds).toBe(Math.round(minBakeMinutes * 60));
          });
        },
      ),
    );
  });

  it('promotes from any rung once the promotion evidence is in and CloudWatch covers the rung', () => {
    const d = decideAt(verdictOf('pass', 3000, 0.2), progress(1, 100));
    expect(d.action).toBe('promote');
  });

  it('does not promote from a rung, the last one included, while the canary leans worse', () => {
    for (const stepIndex of [0, ramp.length - 1]) {
      const d = decideAt(verdictOf('pass', 3000, 1.5), progress(stepIndex, 100));
      expect(d).toMatchObject({ action: 'hold', progress: { stepIndex } });
      expect(d.reason).toMatch(/leans worse \(rollback evidence 1.5 of 100\)/);
    }
    expect(decideAt(verdictOf('pass', 3000, 1), progress(ramp.length - 1, 100)).action).toBe('promote');
  });

  it('promotes a shown-safe canary that leaned worse all through the hold, saying so, rather than rolling it back for data', () => {
    const last = progress(ramp.length - 1, 100);
    const d = decideAt(verdictOf('pass', 3000, 1.5), last, at(20));
    expect(d.action).toBe('promote');
    expect(d.reason).toMatch(
      /leaned worse for 15 extra minutes without the rollback evidence reaching its threshold$/,
    );
    const waiting = decideAt(verdictOf('watching', 3000, 1.5), last, at(20));
    expect(waiting.action).toBe('rollback');
  });

  it('raises the weight only after the least requests a step, recording where the next rung starts', () => {
    const short = decideAt(verdictOf('watching', 120, 0.5), progress(1, 100));
    expect(short).toMatchObject({ action: 'hold', progress: { stepIndex: 1 } });
    expect(short.reason).toMatch(/20 canary requests read at this weight, of the 25/);

    const enough = decideAt(verdictOf('watching', 150, 0.5), progress(1, 100));
    expect(enough).toMatchObject({
      action: 'advance',
      progress: { stepIndex: 2, canaryRequestsAtStepStart: 150 },
    });
  });

  it('holds its weight while the data favour a regression, before the rollback threshold', () => {
    const d = decideAt(verdictOf('watching', 500, 1.5), progress(1, 100));
    expect(d.action).toBe('hold');
    expect(d.progress.stepIndex).toBe(1);
    expect(d.reason).toMatch(/leans worse/);
  });

  it('never lowers the weight without rolling back, and rolls back on a failing verdict (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: ramp.length - 1 }),
        fc.constantFrom('pass', 'watching', 'fail', 'data'),
        fc.integer({ min: 0, max: 5000 }),
        fc.double({ min: 0, max: 200, noNaN: true }),
        (stepIndex, kind, requests, eValue) => {
          const verdict: Verdict =
            kind === 'fail'
              ? { verdict: 'fail', reason: 'canary worse' }
              : kind === 'data'
                ? { verdict: 'inconclusive', pending: 'data', reason: 'too few' }
                : verdictOf(kind, Math.max(1, requests), eValue);
          const d = decideAt(verdict, progress(stepIndex));
          if (kind === 'fail') expect(d.action).toBe('rollback');
          if (d.action !== 'rollback') expect(d.progress.stepIndex).toBeGreaterThanOrEqual(stepIndex);
          if (d.action === 'advance') {
            expect(d.progress.stepIndex).toBe(stepIndex + 1);
            expect(eValue).toBeLessThanOrEqual(1);
          }
          if (d.action === 'promote') expect(kind).toBe('pass');
        },
      ),
    );
  });
});

describe('strategy "Adaptive" in the input', () => {
  const target = { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' };

  it('is accepted by the input schema in both forms, and a bound out of range is refused naming it', () => {
    expect(DeployInputSchema.safeParse({ target, strategy: 'Adaptive' }).success).toBe(true);
    expect(
      DeployInputSchema.safeParse({ target, strategy: { adaptive: { maxStepWeight: 20 } } }).success,
    ).toBe(true);
    const refused = DeployInputSchema.safeParse({ target, strategy: { adaptive: { minBakeMinutes: 0 } } });
    expect(refused.success).toBe(false);
    expect(describeIssues(refused.error?.issues ?? []).join('\n')).toMatch(
      /strategy\.adaptive\.minBakeMinutes is 0/,
    );
  });

  it('takes the name and the object form with its bounds', () => {
    expect(resolveStrategy({ adaptive: {} })).toEqual(ramp);
    expect(resolveStrategy({ adaptive: { initialWeight: 2, minRequestsPerStep: 10 } })[0]).toEqual({
      weight: 2,
      bakeSeconds: ADAPTIVE_DEFAULTS.minBakeMinutes * 60,
      adaptive: { minRequests: 10 },
    });
  });

  it('refuses a bound out of range, naming it', () => {
    for (const [adaptive, field] of [
      [{ initialWeight: 0 }, 'strategy.adaptive.initialWeight is 0'],
      [{ initialWeight: 1.0001 }, 'strategy.adaptive.initialWeight is 1.0001'],
      [{ maxStepWeight: 0 }, 'strategy.adaptive.maxStepWeight is 0'],
      [{ minBakeMinutes: -1 }, 'strategy.adaptive.minBakeMinutes is -1'],
      [{ minRequestsPerStep: 2.5 }, 'strategy.adaptive.minRequestsPerStep is 2.5'],
    ] as const) {
      expect(() => resolveStrategy({ adaptive })).toThrow(field);
    }
  });
});

/**
 * The anytime-valid guarantee, checked by simulation: with the same error rate on both arms (A/A), the
 * share of rollouts in which the test ever rejects, looking after every minute, stays within alpha.
 */
import binomial from '@stdlib/random-base-binomial';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type PairedMinute, rateRatioTest } from '../../shared/core/sequential-test';

function rollout(
  draw: (n: number, p: number) => number,
  minutes: number,
  share: number,
  canaryRate: number,
  baselineRate: number,
  alpha: number,
): boolean {
  const seen: PairedMinute[] = [];
  for (let m = 0; m < minutes; m++) {
    const canary = draw(1000, share);
    seen.push({
      at: String(m),
      canary: { requests: canary, errors: draw(canary, canaryRate) },
      baseline: { requests: 1000 - canary, errors: draw(1000 - canary, baselineRate) },
    });
    if (rateRatioTest(seen, { alpha, tolerance: 0 }).rejected) return true;
  }
  return false;
}

describe('rateRatioTest', () => {
  it('keeps the false-rollback rate within alpha however often it looks (A/A, 30 looks)', () => {
    // Prepare
    const draw = binomial.factory({ seed: 20261124 });
    const runs = 3000;
    const alpha = 0.05;

    // Act: 30 looks per rollout, canary share between 10% and 50%.
    let rejected = 0;
    for (let i = 0; i < runs; i++)
      if (rollout(draw, 30, 0.1 + (i % 5) * 0.1, 0.005, 0.005, alpha)) rejected++;

    // Assess: Ville's inequality bounds the rate by alpha; allow three standard errors of Monte Carlo noise.
    const slack = 3 * Math.sqrt((alpha * (1 - alpha)) / runs);
    expect(rejected / runs).toBeLessThanOrEqual(alpha + slack);
  });

  it('detects a 10x regression in nearly every rollout', () => {
    const draw = binomial.factory({ seed: 7 });
    let detected = 0;
    for (let i = 0; i < 300; i++) if (rollout(draw, 15, 0.1, 0.05, 0.005, 0.01)) detected++;
    expect(detected / 300).toBeGreaterThan(0.99);
  });

  it('grows with canary errors and shrinks with baseline errors', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 }), (ce, be) => {
        const e = (c: number, b: number) =>
          rateRatioTest(
            [{ at: '0', canary: { requests: 100, errors: c }, baseline: { requests: 900, errors: b } }],
            {
              alpha: 0.01,
              tolerance: 0,
            },
          ).eValue;
        expect(e(ce + 1, be)).toBeGreaterThanOrEqual(e(ce, be));
        expect(e(ce, be + 1)).toBeLessThanOrEqual(e(ce, be));
      }),
    );
  });

  it('says nothing without errors or without traffic on an arm', () => {
    const result = rateRatioTest(
      [
        { at: '0', canary: { requests: 100, errors: 0 }, baseline: { requests: 900, errors: 0 } },
        { at: '1', canary: { requests: 0, errors: 0 }, baseline: { requests: 900, errors: 9 } },
      ],
      { alpha: 0.01, tolerance: 0 },
    );
    expect(result.eValue).toBe(1);
    expect(result.rejected).toBe(false);
  });
});

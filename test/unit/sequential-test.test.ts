/**
 * The anytime-valid guarantees, checked by simulation, and the properties the tests must keep: with the
 * same error rate on both arms the regression test rarely rejects however often it looks; a canary exactly
 * maxRegression worse is rarely shown safe; clustered errors are tempered; any ratio above the tolerance is
 * eventually detected.
 */
import binomial from '@stdlib/random-base-binomial';
import poisson from '@stdlib/random-base-poisson';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  conditionalDispersion,
  type DispersionStat,
  dispersionByMinute,
  dispersionOf,
  HISTORY_DELTA_SHARE,
  lowerRateBound,
  type PairedTrials,
  pearson,
  regressionTest,
  safetyTest,
  upperDispersion,
} from '../../shared/core/sequential-test';

type Draw = (n: number, p: number) => number;

function minute(draw: Draw, requests: number, share: number, canaryRate: number, baselineRate: number) {
  const canary = draw(requests, share);
  return {
    canary: { trials: canary, events: draw(canary, canaryRate) },
    baseline: { trials: requests - canary, events: draw(requests - canary, baselineRate) },
  };
}

/**
 * Of `runs` rollouts with 30 looks each, the share the safety test ever shows safe: `rollout(i)` gives the
 * i-th rollout's minute source and the test's options.
 */
function shownSafe(
  runs: number,
  rollout: (i: number) => { next: () => PairedTrials; options: Parameters<typeof safetyTest>[1] },
): number {
  let shown = 0;
  for (let i = 0; i < runs; i++) {
    const { next, options } = rollout(i);
    const seen: PairedTrials[] = [];
    for (let m = 0; m < 30; m++) {
      seen.push(next());
      if (safetyTest(seen, options).rejected) {
        shown++;
        break;
      }
    }
  }
  return shown / runs;
}

/** Looks after every minute; true if the regression test ever rejects. */
function everRejects(draw: Draw, looks: number, share: number, canaryRate: number, alpha: number): boolean {
  const seen: PairedTrials[] = [];
  for (let m = 0; m < looks; m++) {
    seen.push(minute(draw, 1000, share, canaryRate, 0.005));
    if (regressionTest(seen, { alpha, nullRatio: 1 }).rejected) return true;
  }
  return false;
}

/** Three standard errors of Monte Carlo noise around a rate. */
const slack = (rate: number, runs: number) => 3 * Math.sqrt((rate * (1 - rate)) / runs);

describe('regressionTest', () => {
  it('keeps the false-rollback rate within alpha however often it looks (A/A, 30 looks)', () => {
    // Prepare
    const draw = binomial.factory({ seed: 20261124 });
    const runs = 3000;
    const alpha = 0.05;

    // Act: 30 looks per rollout, canary share between 10% and 50%.
    let rejected = 0;
    for (let i = 0; i < runs; i++) if (everRejects(draw, 30, 0.1 + (i % 5) * 0.1, 0.005, alpha)) rejected++;

    // Assess: Ville's inequality bounds the rate by alpha.
    expect(rejected / runs).toBeLessThanOrEqual(alpha + slack(alpha, runs));
  });

  it('detects a 10x regression in nearly every rollout', () => {
    const draw = binomial.factory({ seed: 7 });
    let detected = 0;
    for (let i = 0; i < 300; i++) if (everRejects(draw, 15, 0.1, 0.05, 0.01)) detected++;
    expect(detected / 300).toBeGreaterThan(0.99);
  });

  it('detects a ratio just above the tolerance given enough data, and not one just below', () => {
    // Prepare: a million requests a minute, half on the canary, a 1% baseline error rate.
    const minutes = (ratio: number) =>
      Array.from({ length: 30 }, (_, i) => ({
        canary: { trials: 500_000, events: Math.round(5000 * ratio) + (i % 3) - 1 },
        baseline: { trials: 500_000, events: 5000 + ((i + 1) % 3) - 1 },
      }));

    // Act & Assess: tolerance 0 means any regression, not one of 22% (the grid once started at 1.5x).
    expect(regressionTest(minutes(1.1), { alpha: 0.01, nullRatio: 1 }).rejected).toBe(true);
    expect(regressionTest(minutes(1.25), { alpha: 0.01, nullRatio: 1.2 }).rejected).toBe(true);
    expect(regressionTest(minutes(1.15), { alpha: 0.01, nullRatio: 1.2 }).rejected).toBe(false);
  });

  it('grows with canary errors and shrinks with baseline errors', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 }), (ce, be) => {
        const e = (c: number, b: number) =>
          regressionTest([{ canary: { trials: 100, events: c }, baseline: { trials: 900, events: b } }], {
            alpha: 0.01,
            nullRatio: 1,
          }).eValue;
        expect(e(ce + 1, be)).toBeGreaterThanOrEqual(e(ce, be));
        expect(e(ce, be + 1)).toBeLessThanOrEqual(e(ce, be));
      }),
    );
  });

  it('says nothing without errors or without traffic on an arm', () => {
    const result = regressionTest(
      [
        { canary: { trials: 100, events: 0 }, baseline: { trials: 900, events: 0 } },
        { canary: { trials: 0, events: 0 }, baseline: { trials: 900, events: 9 } },
      ],
      { alpha: 0.01, nullRatio: 1 },
    );
    expect(result.eValue).toBeLessThanOrEqual(1);
    expect(result.rejected).toBe(false);
  });

  it('stays within alpha when errors come in bursts of 3, once tempered by their dispersion', () => {
    // Prepare: each burst of three errors lands on one arm; same mean rate on both.
    const bursts = poisson.factory({ seed: 11 });
    const split = binomial.factory({ seed: 12 });
    const runs = 1500;
    const alpha = 0.05;
    const burstyMinute = () => {
      const canary = split(1000, 0.2);
      return {
        canary: { trials: canary, events: 3 * bursts((canary * 0.005) / 3) },
        baseline: { trials: 1000 - canary, events: 3 * bursts(((1000 - canary) * 0.005) / 3) },
      };
    };
    const falseRollbacks = (tempered: boolean) => {
      let rejected = 0;
      for (let i = 0; i < runs; i++) {
        const seen: PairedTrials[] = [];
        for (let m = 0; m < 30; m++) {
          seen.push(burstyMinute());
          const dispersion = tempered ? seen.map(() => 3) : undefined;
          if (regressionTest(seen, { alpha, nullRatio: 1, dispersion }).rejected) {
            rejected++;
            break;
          }
        }
      }
      return rejected / runs;
    };

    // Act
    const untempered = falseRollbacks(false);
    const tempered = falseRollbacks(true);

    // Assess: the Poisson model is over-confident here; divided by φ = 3 it is exact again.
    expect(untempered).toBeGreaterThan(alpha + slack(alpha, runs));
    expect(tempered).toBeLessThanOrEqual(alpha + slack(alpha, runs));
  });
});

describe('safetyTest', () => {
  const maxRegression = { ratio: 4, floor: 0.005 };

  it('rarely shows a canary exactly maxRegression worse safe, at any traffic (beta 5%)', () => {
    // Prepare
    const draw = binomial.factory({ seed: 3 });
    const beta = 0.05;
    const runs = 1500;

    // Act: 30 looks per rollout at 50 to 5,000 requests a minute, canary 4x the baseline's 0.5%.
    const shown = shownSafe(runs, (i) => ({
      next: () => minute(draw, [50, 200, 1000, 5000][i % 4] ?? 1000, 0.1 + (i % 5) * 0.2, 0.02, 0.005),
      options: { beta, maxRegression, priorRate: 0.005 },
    }));

    // Assess
    expect(shown).toBeLessThanOrEqual(beta + slack(beta, runs));
  });

  it('rarely shows a new failure mode safe against a baseline that never fails (the floor)', () => {
    const draw = binomial.factory({ seed: 4 });
    const beta = 0.05;
    const runs = 800;
    const shown = shownSafe(runs, () => ({
      next: () => minute(draw, 1000, 0.1, 0.005, 0),
      options: { beta, maxRegression, priorRate: 0 },
    }));
    expect(shown).toBeLessThanOrEqual(beta + slack(beta, runs));
  });

  it('shows a healthy canary safe with enough traffic, also against an error-free baseline', () => {
    const draw = binomial.factory({ seed: 5 });
    const healthy = Array.from({ length: 30 }, () => minute(draw, 1000, 0.2, 0.005, 0.005));
    const errorFree = Array.from({ length: 30 }, () => minute(draw, 1000, 0.2, 0, 0));

    expect(safetyTest(healthy, { beta: 0.01, maxRegression, priorRate: 0.005 }).rejected).toBe(true);
    expect(safetyTest(errorFree, { beta: 0.01, maxRegression, priorRate: 0 }).rejected).toBe(true);
  });

  it('needs more evidence the more the errors vary', () => {
    const draw = binomial.factory({ seed: 6 });
    const minutes = Array.from({ length: 10 }, () => minute(draw, 1000, 0.1, 0.005, 0.005));
    const plain = safetyTest(minutes, { beta: 0.01, maxRegression, priorRate: 0.005 }).eValue;
    const tempered = safetyTest(minutes, {
      beta: 0.01,
      maxRegression,
      priorRate: 0.005,
      dispersion: minutes.map(() => 3),
    }).eValue;

    expect(tempered).toBeLessThan(plain);
  });
});

describe('dispersion', () => {
  it('reads about 1 from Poisson counts and about 3 from errors in bursts of 3', () => {
    const draw = poisson.factory({ seed: 9 });
    const plain = Array.from({ length: 600 }, () => ({ trials: 1000, events: draw(5) }));
    const bursty = Array.from({ length: 600 }, () => ({ trials: 1000, events: 3 * draw(5 / 3) }));

    expect(dispersionOf(pearson(plain))).toBeLessThan(1.25);
    expect(dispersionOf(pearson(bursty))).toBeGreaterThan(2.5);
    expect(dispersionOf(pearson(bursty))).toBeLessThan(3.5);
  });

  it("cancels noise both arms share: the canary's share of errors varies like a binomial", () => {
    // Prepare: each minute a shared incident factor (×0.2 to ×5) moves both arms' rates together.
    const draw = poisson.factory({ seed: 10 });
    const factor = binomial.factory({ seed: 13 });
    const minutes = Array.from({ length: 300 }, () => {
      const shared = [0.2, 1, 1, 5][factor(3, 0.5)] ?? 1;
      return {
        canary: { trials: 200, events: draw(200 * 0.005 * shared) },
        baseline: { trials: 800, events: draw(800 * 0.005 * shared) },
      };
    });

    // Act
    const perArm = dispersionOf(pearson(minutes.map((m) => m.baseline)));
    const conditional = conditionalDispersion(minutes, pearson(minutes.map((m) => m.baseline))).at(-1) ?? 0;

    // Assess: the stable side alone looks very overdispersed; the comparison the tests make does not.
    expect(perArm).toBeGreaterThan(3);
    expect(conditional).toBeLessThan(1.3);
  });

  it("never tempers more than the stable version's own history says", () => {
    const draw = poisson.factory({ seed: 14 });
    // A canary that degrades mid-rollout must not buy itself a larger φ.
    const minutes = Array.from({ length: 40 }, (_, i) => ({
      canary: { trials: 200, events: draw(i < 20 ? 1 : 10) },
      baseline: { trials: 800, events: draw(4) },
    }));

    const phi = conditionalDispersion(minutes, { chi2: 59 * 1.5, dof: 59 });

    // The history's φ, 1.5, at its upper bound (issue 9): no more.
    expect(upperDispersion(1.5, 59)).toBeCloseTo(1.65, 2);
    expect(Math.max(...phi)).toBeLessThanOrEqual(upperDispersion(1.5, 59));
  });

  it('takes an hour of history at an upper bound, so that bursts are not read as milder than they are', () => {
    // Prepare: 2,000 stable hours (60 minutes of 5 errors a minute on average), in bursts of 3 or not.
    const draw = poisson.factory({ seed: 21 });
    const hours = (burst: number) =>
      Array.from({ length: 2000 }, () =>
        pearson(Array.from({ length: 60 }, () => ({ trials: 1000, events: burst * draw(5 / burst) }))),
      );
    const share = (stats: DispersionStat[], ok: (s: DispersionStat) => boolean) =>
      stats.filter(ok).length / stats.length;

    // Act
    const bursty = hours(3);
    const plain = hours(1);

    // Assess: X² / dof reads bursts of 3 as milder than they are in half the hours, the bound in far
    // fewer; a Poisson service is tempered by little more than 1.
    expect(share(bursty, (s) => dispersionOf(s) >= 3)).toBeLessThan(0.55);
    expect(share(bursty, (s) => upperDispersion(dispersionOf(s), s.dof) >= 3)).toBeGreaterThan(0.75);
    expect(share(plain, (s) => upperDispersion(dispersionOf(s), s.dof) <= 1.3)).toBeGreaterThan(0.85);
    expect(upperDispersion(1, 59)).toBe(1);
    expect(upperDispersion(0.7, 59)).toBe(1);
    expect(upperDispersion(3, 100_000)).toBeCloseTo(3, 1);
    // A few minutes of history: the excess at most doubled, not scaled by 190 as one degree of freedom would.
    expect(upperDispersion(1.5, 1)).toBe(2);
    expect(upperDispersion(1.5, 3)).toBe(2);
  });

  it('judges each minute with what was known before it, never below 1', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ trials: fc.integer({ min: 0, max: 500 }), events: fc.nat(20) }), {
          maxLength: 20,
        }),
        (series) => {
          const valid = series.map((t) => ({ trials: t.trials, events: Math.min(t.events, t.trials) }));
          const phi = dispersionByMinute(valid, { chi2: 30, dof: 10 });

          expect(phi).toHaveLength(valid.length);
          expect(phi.every((p) => p >= 1 && Number.isFinite(p))).toBe(true);
          // The first minute knows only the history: X² / dof = 3.
          if (valid.length > 0) expect(phi[0]).toBe(3);
        },
      ),
    );
  });
});

describe("safetyTest's history part (analysis.historyEvidence)", () => {
  const maxRegression = { ratio: 4, floor: 0.005 };
  /** The stable version's last hour at 1,000 requests a minute and this rate, as Plan reads it. */
  const hourAt = (draw: Draw, rate: number) => ({ requests: 60_000, errors: draw(60_000, rate), phi: 1 });

  it("bounds the stable version's rate from below, wrong at most delta of the time", () => {
    const draw = poisson.factory({ seed: 11 });
    const delta = 0.05;
    const runs = 4000;
    let above = 0;
    for (let i = 0; i < runs; i++) {
      const trials = [200, 5000, 60_000][i % 3] ?? 60_000;
      if (lowerRateBound(draw(trials * 0.005), trials, delta) > 0.005) above++;
    }
    expect(above / runs).toBeLessThanOrEqual(delta + slack(delta, runs));
    expect(lowerRateBound(0, 60_000, delta)).toBe(0);
    expect(lowerRateBound(300, 60_000, delta)).toBeLessThan(0.005);
  });

  it('rarely shows a canary exactly maxRegression worse safe while the stable version fails as in its hour (beta 5%)', () => {
    // Prepare
    const draw = binomial.factory({ seed: 12 });
    const beta = 0.05;
    const runs = 1500;

    // Act: the hour and the rollout at 0.5%, the canary 4x that, at 10% to 90% of the traffic.
    const shown = shownSafe(runs, (i) => ({
      next: () => minute(draw, 1000, 0.1 + (i % 5) * 0.2, 0.02, 0.005),
      options: { beta, maxRegression, priorRate: 0.005, history: hourAt(draw, 0.005) },
    }));

    // Assess
    expect(shown).toBeLessThanOrEqual(beta + slack(beta, runs));
  });

  it('shows a healthy canary safe with far less traffic than the same-minute comparison alone', () => {
    const draw = binomial.factory({ seed: 13 });
    const history = hourAt(draw, 0.005);
    const minutesToPass = (withHistory: boolean) => {
      const seen: PairedTrials[] = [];
      for (let m = 1; m <= 60; m++) {
        seen.push(minute(draw, 1000, 0.7, 0.005, 0.005));
        const options = { beta: 0.01, maxRegression, priorRate: 0.005, ...(withHistory ? { history } : {}) };
        if (safetyTest(seen, options).rejected) return m;
      }
      return 61;
    };
    const runs = 40;
    const paired = Array.from({ length: runs }, () => minutesToPass(false)).sort((a, b) => a - b);
    const both = Array.from({ length: runs }, () => minutesToPass(true)).sort((a, b) => a - b);

    expect(both[runs / 2]).toBeLessThanOrEqual(3);
    expect(both[runs / 2]).toBeLessThan(paired[runs / 2] ?? 0);
  });

  it('sets aside its share of beta: the whole evidence is scaled by 1 - HISTORY_DELTA_SHARE', () => {
    const draw = binomial.factory({ seed: 14 });
    const seen = Array.from({ length: 5 }, () => minute(draw, 1000, 0.5, 0.005, 0.005));
    const result = safetyTest(seen, {
      beta: 0.01,
      maxRegression,
      priorRate: 0.005,
      history: hourAt(draw, 0.005),
    });
    const history = result.history?.eValue ?? Number.NaN;
    const paired = 0.9 * result.ratioEValue + 0.1 * result.differenceEValue;

    expect(result.eValue).toBeCloseTo((1 - HISTORY_DELTA_SHARE) * (0.2 * paired + 0.8 * history), 6);
    expect(result.history?.nullRate).toBeGreaterThan(0.015);
    expect(result.history?.nullRate).toBeLessThan(0.02);
  });

  it("does not count at a check where the baseline's minutes lean toward a fall, without being dropped", () => {
    // Prepare: the hour at 0.5%; three minutes whose baseline fails at 0.3% (likelihood ratio about 4 for the fall).
    const history = { requests: 60_000, errors: 300, phi: 1 };
    const seen = Array.from({ length: 3 }, () => ({
      canary: { trials: 1000, events: 5 },
      baseline: { trials: 1000, events: 3 },
    }));

    // Act
    const result = safetyTest(seen, { beta: 0.01, maxRegression, priorRate: 0.005, history });
    const steady = safetyTest(
      seen.map((m) => ({ ...m, baseline: { trials: 1000, events: 5 } })),
      { beta: 0.01, maxRegression, priorRate: 0.005, history },
    );

    // Assess
    expect(result.history).toMatchObject({ doubted: true });
    expect(result.history?.droppedAt).toBeUndefined();
    const paired = 0.9 * result.ratioEValue + 0.1 * result.differenceEValue;
    expect(result.eValue).toBeCloseTo((1 - HISTORY_DELTA_SHARE) * 0.2 * paired, 9);
    expect(steady.history?.doubted).toBeUndefined();
    expect(steady.eValue).toBeGreaterThan(result.eValue);
  });

  it('is dropped once the baseline fails less often than the stable version did over its hour', () => {
    const draw = binomial.factory({ seed: 15 });
    const history = hourAt(draw, 0.005);
    // The stable version's rate halves as the rollout begins; the canary is 4x the new rate (1%).
    const seen = Array.from({ length: 20 }, () => minute(draw, 1000, 0.3, 0.01, 0.0025));
    const result = safetyTest(seen, { beta: 0.01, maxRegression, priorRate: 0.005, history });

    expect(result.history?.droppedAt).toBeGreaterThan(0);
    expect(result.rejected).toBe(false);
    // From the drop on the part counts nothing: the same-minute comparison alone, at its share.
    expect(result.history?.eValue).toBe(0);
    const paired = 0.9 * result.ratioEValue + 0.1 * result.differenceEValue;
    expect(result.eValue).toBeCloseTo((1 - HISTORY_DELTA_SHARE) * 0.2 * paired, 9);
  });
});

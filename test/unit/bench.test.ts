import { describe, expect, it } from 'vitest';
import { mannWhitneyGreaterP } from '../../bench/mann-whitney';
import { sampler } from '../../bench/model';
import { controller } from '../../bench/policies';
import { runBench } from '../../bench/run';
import { simulateRollout } from '../../bench/simulate';
import { resolveStrategy } from '../../shared/core/strategy';

describe('the policy benchmark', () => {
  it('is deterministic for a seed', () => {
    const a = runBench({ runs: 30, seed: 5, policies: ['fledge', 'flagger'] });
    const b = runBench({ runs: 30, seed: 5, policies: ['fledge', 'flagger'] });

    expect(a).toEqual(b);
    expect(a).toHaveLength(2 * 2 * 5);
  });

  it("runs fledge through the Lambda's decision code: a 20x canary is rolled back, a healthy one promoted", () => {
    const steps = resolveStrategy('Linear10PercentEvery1Minute');
    const bad = { name: '10x' as const, baselineRate: 0.005, canaryRate: 0.1, trafficPerMinute: 1000 };
    const good = { ...bad, name: 'healthy' as const, canaryRate: 0.005 };

    const rolledBack = simulateRollout(
      steps,
      controller('fledge', { steps, scenario: bad }),
      sampler(bad, 1),
    );
    const promoted = simulateRollout(
      steps,
      controller('fledge', { steps, scenario: good }),
      sampler(good, 1),
    );

    expect(rolledBack.outcome).toBe('rolled-back');
    expect(rolledBack.minutes).toBeLessThanOrEqual(5);
    expect(promoted.outcome).toBe('promoted');
  });
});

describe('mannWhitneyGreaterP', () => {
  it('finds a clearly larger sample significant, and equal samples not', () => {
    expect(mannWhitneyGreaterP([5, 6, 7, 8, 9, 10], [1, 2, 3, 4, 5, 6])).toBeLessThan(0.01);
    expect(mannWhitneyGreaterP([1, 2, 3], [1, 2, 3])).toBeGreaterThan(0.4);
  });
});

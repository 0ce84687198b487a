import { describe, expect, it } from 'vitest';
import { mannWhitneyGreaterP } from '../../bench/mann-whitney';
import { draws, WORLDS, type World, WorldRun } from '../../bench/model';
import { controller } from '../../bench/policies';
import { releaseGoals, runReleaseBench, simulateRelease } from '../../bench/release';
import { goals, runBench, STRATEGIES } from '../../bench/run';
import { simulateRollout } from '../../bench/simulate';
import { resolveStrategy } from '../../shared/core/strategy';

const world = (name: string): World => {
  const found = WORLDS.find((w) => w.name === name);
  if (!found) throw new Error(`no world ${name}`);
  return found;
};

describe('the policy benchmark', () => {
  it('is deterministic for a seed', () => {
    const worlds = [world('healthy'), world('4x'), world('bursts-3')];
    const a = runBench({ runs: 20, seed: 5, policies: ['fledge', 'flagger'], worlds });
    const b = runBench({ runs: 20, seed: 5, policies: ['fledge', 'flagger'], worlds });

    expect(a).toEqual(b);
    expect(a).toHaveLength(2 * STRATEGIES.length * 3);
  });

  it("runs fledge through the Lambda's decision code: a 10x canary is rolled back, a healthy one promoted", () => {
    const steps = resolveStrategy('Linear10PercentEvery1Minute');
    const rollout = (w: World) => {
      const run = new WorldRun(w, draws(1));
      return simulateRollout(steps, controller('fledge', { steps, world: w, run }), run);
    };

    const rolledBack = rollout(world('10x'));
    const promoted = rollout(world('healthy'));

    expect(rolledBack.outcome).toBe('rolled-back');
    expect(rolledBack.minutes).toBeLessThanOrEqual(5);
    expect(promoted.outcome).toBe('promoted');
  });

  it('shows the newest minute partly reported, and only to a policy that reads it', () => {
    // Prepare: a world where each check records what it was shown.
    const steps = resolveStrategy('Canary10Percent5Minutes');
    const run = new WorldRun(world('healthy'), draws(2));
    const shown: number[][] = [];
    let truth: number[] = [];
    const original = run.minute.bind(run);
    run.minute = (share) => {
      const m = original(share);
      truth.push(m.canary.requests + m.baseline.requests);
      return m;
    };

    // Act
    simulateRollout(
      steps,
      {
        check(t, visible) {
          shown.push(visible.map((m) => m.canary.requests + m.baseline.requests));
          return t >= 6 ? 'rollback' : 'continue';
        },
      },
      run,
    );
    truth = truth.slice(0, 6);

    // Assess: at minute t a policy sees minutes 0 … t − 2; the newest at 50–90% of its requests.
    expect(shown.map((s) => s.length)).toEqual([0, 1, 2, 3, 4, 5]);
    const last = shown[5] ?? [];
    expect(last.slice(0, -1)).toEqual(truth.slice(0, 4));
    expect(last.at(-1)).toBeGreaterThanOrEqual(0.4 * (truth[4] ?? 0));
    expect(last.at(-1)).toBeLessThan(truth[4] ?? 0);
  });

  it('reports a goal it misses as MISSED', () => {
    const rows = runBench({ runs: 10, seed: 3, policies: ['fledge'], worlds: [world('healthy@50')] });
    const renamed = rows.map((r) => ({ ...r, world: 'healthy' }));

    expect(goals(renamed).some((line) => /healthy.*rolled back 100\.00%.*MISSED$/.test(line))).toBe(true);
  });
});

describe('mannWhitneyGreaterP', () => {
  it('finds a clearly larger sample significant, and equal samples not', () => {
    expect(mannWhitneyGreaterP([5, 6, 7, 8, 9, 10], [1, 2, 3, 4, 5, 6])).toBeLessThan(0.01);
    expect(mannWhitneyGreaterP([1, 2, 3], [1, 2, 3])).toBeGreaterThan(0.4);
  });
});

describe('the release benchmark (issue 20)', () => {
  const steps = resolveStrategy('Canary10Percent5Minutes');

  it('rolls a release back for its one bad target, and promotes one whose targets are all healthy', () => {
    const healthy = world('healthy');
    const caught = Array.from({ length: 20 }, () =>
      simulateRelease(steps, [healthy, healthy, world('10x'), healthy, healthy], draws(3)),
    );
    const released = Array.from({ length: 20 }, () =>
      simulateRelease(steps, Array(5).fill(healthy), draws(4)),
    );

    expect(caught.every((r) => r.outcome === 'rolled-back' && r.reason.startsWith('target-3: '))).toBe(true);
    expect(released.filter((r) => r.outcome === 'promoted').length).toBeGreaterThanOrEqual(19);
  });

  it('is deterministic for a seed, with a row per strategy and scenario', () => {
    const strategies = [{ name: 'Canary10Percent5Minutes', steps }];
    const a = runReleaseBench(10, 7, strategies, draws);
    expect(runReleaseBench(10, 7, strategies, draws)).toEqual(a);
    expect(a).toHaveLength(3);
    expect(releaseGoals(a)[0]).toMatch(/release of 5 targets, all healthy: released/);
  });
});

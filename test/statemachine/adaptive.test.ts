/**
 * The adaptive ramp through the real ASL and handlers: SetWeight applies the rung the decision chose,
 * the same states loop, a healthy canary is promoted from the rung where its evidence came in, and a
 * failing one is rolled back before it climbs far.
 */
import { describe, expect, it } from 'vitest';
import { runLocal } from '../../cli/local/runner';
import { toReport } from '../../cli/reports/progress';
import { resolveStrategy } from '../../shared/core/strategy';
import { FakeMetrics, FakeRouter, fakeDeps, steadyMinute } from '../support/fakes';

const input = {
  target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
  strategy: 'Adaptive',
};
const RAMP = resolveStrategy('Adaptive').map((s) => s.weight);

async function run(canaryRate: number) {
  const router = new FakeRouter();
  const metrics = new FakeMetrics((at) =>
    steadyMinute(at, 5000, Math.max(router.weight, 1) / 100, canaryRate, 0.005),
  );
  const deps = fakeDeps(router, metrics);
  const result = await runLocal({ input, deps, virtualClock: deps.clock });
  const weights = router.calls.flatMap((c) => (c.startsWith('setWeight:') ? [Number(c.slice(10))] : []));
  return { result, report: toReport(result), router, weights };
}

describe('the adaptive ramp in the state machine', () => {
  it('climbs its rungs in order and promotes a healthy canary once shown safe', async () => {
    const { result, report, router, weights } = await run(0.005);

    expect(result.status).toBe('SUCCEEDED');
    expect(report).toMatchObject({ outcome: 'promoted', weight: 100 });
    expect(weights).toEqual(RAMP.slice(0, weights.length));
    expect(weights[0]).toBe(5);
    // At 5,000 requests a minute the promotion evidence comes in below the top rung: no fixed schedule's end.
    expect(weights.length).toBeLessThan(RAMP.length);
    expect(router.calls.at(-1)).toBe('promote');
  });

  it('rolls a failing canary back before it reaches the top rung, leaving the stable version all traffic', async () => {
    const { result, report, router, weights } = await run(0.05);

    expect(result.status).toBe('FAILED');
    expect(report.outcome).toBe('rolled-back');
    expect(report.reason).toMatch(/canary error rate is higher than baseline/);
    expect(Math.max(...weights)).toBeLessThan(RAMP.at(-1) ?? 0);
    expect(router.calls).not.toContain('promote');
    expect(router.weight).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { plan } from '../../shared/steps/plan';
import type { RolloutState } from '../../shared/steps/rollout';
import { FakeMetrics, FakeRouter, fakeDeps } from '../support/fakes';

const side = (metricName: string) => ({
  namespace: 'MyApp',
  metricName,
  stable: { Side: 'stable' },
  canary: { Side: 'canary' },
});
const dnsRelease = (target: Record<string, unknown> = {}) => ({
  target: {
    type: 'route53-weighted',
    hostedZoneId: 'Z1',
    recordName: 'app.example.com',
    recordType: 'A',
    stable: 'primary',
    canary: 'canary',
    ...target,
  },
  strategy: 'Linear10PercentEvery1Minute',
  analysis: { requests: side('Requests'), errors: side('Errors') },
});

function setup(ttlSeconds: number) {
  const router = new FakeRouter('canary', ['canary']);
  router.ttlSeconds = ttlSeconds;
  return { router, deps: fakeDeps(router, new FakeMetrics(() => undefined)) };
}

describe('plan and DNS caching', () => {
  it('refuses steps shorter than the TTL plus the margin, and frees the target', async () => {
    const { deps } = setup(60);

    await expect(plan(dnsRelease(), deps, { executionId: 'run-1' })).rejects.toThrow(
      /step 1 bakes 60s, but app.example.com has a TTL of 60s.*at least 90s/,
    );
    expect(await deps.records.active()).toEqual([]);
    expect((await deps.records.get('route53-weighted#Z1#app.example.com#A'))?.status).toBe('rejected');
  });

  it('stretches short steps to TTL + margin when asked', async () => {
    const { deps } = setup(60);

    const state = (await plan(dnsRelease({ stretchShortSteps: true, ttlMarginSeconds: 45 }), deps, {
      executionId: 'run-1',
    })) as RolloutState;

    expect(state.steps.map((s) => s.bakeSeconds)).toEqual(Array.from({ length: 9 }, () => 105));
  });

  it('leaves steps that already outlast the cache alone', async () => {
    const { deps } = setup(20);

    const state = (await plan(dnsRelease(), deps, { executionId: 'run-1' })) as RolloutState;

    expect(state.steps.every((s) => s.bakeSeconds === 60)).toBe(true);
  });
});

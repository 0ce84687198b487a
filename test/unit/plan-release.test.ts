/**
 * Plan for a release over in-memory ports: one router per target. A refused target writes nothing and
 * holds no record; one schedule for every target (the slowest target's steps); the hold for promotion
 * evidence stretched for n targets; each target's own metrics in the state.
 */
import { describe, expect, it } from 'vitest';
import type { Target } from '../../shared/core/schema';
import { plan } from '../../shared/steps/plan';
import type { RolloutState } from '../../shared/steps/rollout';
import { FakeMetrics, FakeRouter, fakeDeps } from '../support/fakes';

const side = (metricName: string) => ({
  namespace: 'MyApp',
  metricName,
  stable: { Side: 'stable' },
  canary: { Side: 'canary' },
});

const releaseInput = (overrides: Record<string, unknown> = {}) => ({
  release: 'shop',
  targets: [
    { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
    { type: 'lambda-alias', functionName: 'cart', alias: 'live', version: '2' },
    {
      target: {
        type: 'route53-weighted',
        hostedZoneId: 'Z1',
        recordName: 'app.example.com',
        recordType: 'A',
        stable: 'primary',
        canary: 'canary',
        stretchShortSteps: true,
      },
      analysis: { requests: side('Requests'), errors: side('Errors') },
    },
  ],
  strategy: 'Linear10PercentEvery1Minute',
  ...overrides,
});

function setup(versions: Record<string, string[]> = {}) {
  const routers: Record<string, FakeRouter> = {
    checkout: new FakeRouter('2', versions.checkout),
    cart: new FakeRouter('2', versions.cart),
    dns: new FakeRouter('canary', ['canary']),
  };
  (routers.dns as FakeRouter).ttlSeconds = 60;
  const base = fakeDeps(routers.checkout as FakeRouter, new FakeMetrics(() => undefined));
  const deps = {
    ...base,
    router: (target: Target) =>
      (target.type === 'lambda-alias' ? routers[target.functionName] : routers.dns) as FakeRouter,
  };
  return { routers, deps };
}

describe('Plan of a release', () => {
  it('takes every target, fits one schedule to the slowest, and keeps each target’s metrics', async () => {
    const { deps } = setup();

    const state = (await plan(releaseInput(), deps, { executionId: 'run-1' })) as RolloutState;

    // Route 53's TTL (60 s + the 30 s margin) lengthens every step for every target.
    expect(state.steps.map((s) => s.bakeSeconds)).toEqual(Array(9).fill(90));
    expect(state.release?.members.map((m) => m.name)).toEqual([
      'checkout:live',
      'cart:live',
      'app.example.com A (Z1)',
    ]);
    expect(state.release?.members[2]?.metrics.canary.requests).toMatchObject({ metricName: 'Requests' });
    expect(state.release?.members[0]?.metrics.canary.requests.dimensions).toMatchObject({
      FunctionName: 'checkout',
    });
    // ln(3 / 0.01) / ln(1 / 0.01) longer than one rollout's 30 minutes.
    expect(state.analysis.insufficientData.maxExtraMinutes).toBe(38);
    expect(state.label).toBe('release shop (checkout:live, cart:live, app.example.com A (Z1))');
    const held = await deps.records.active();
    expect(held.map((r) => [r.key, r.status, r.release?.name]).sort()).toEqual(
      [
        ['lambda-alias#cart#live', 'planned', 'shop'],
        ['lambda-alias#checkout#live', 'planned', 'shop'],
        ['route53-weighted#Z1#app.example.com#A', 'planned', 'shop'],
      ].sort(),
    );
  });

  it('sizes each PC alias’s canary by its own setting, keeps the input for a retry, and says so', async () => {
    const { routers, deps } = setup();
    (routers.checkout as FakeRouter).provisioned = { stable: 20, canary: 0 };
    (routers.cart as FakeRouter).provisioned = { stable: 40, canary: 0 };
    const input = releaseInput();
    const targets = [...input.targets];
    targets[1] = {
      ...(targets[1] as object),
      provisionedConcurrency: 7,
    } as unknown as (typeof targets)[number];

    const state = (await plan({ ...input, targets }, deps, { executionId: 'run-pc' })) as RolloutState;

    // checkout: 90% of 20 (the largest step's share); cart: the input's 7; Route 53: none to give.
    expect(
      state.release?.members.map((m) => m.provisioned && [m.provisioned.count, m.provisioned.status]),
    ).toEqual([[18, 'planned'], [7, 'planned'], undefined]);
    expect(state.release?.capacity).toBe('planned');
    expect(state.provisioned).toBeUndefined();
    expect(state.next.reason).toMatch(
      /checkout:live: 18 provisioned concurrency for version 2 \(.*\); cart:live: 7 provisioned concurrency for version 2 \(target.provisionedConcurrency\), every one READY before any traffic moves/,
    );
    expect(state.release?.input).toMatchObject({ release: 'shop' });
    const lead = await deps.records.get('lambda-alias#checkout#live');
    expect(lead?.release?.input).toMatchObject({ release: 'shop', targets: expect.any(Array) });
    expect((await deps.records.get('lambda-alias#cart#live'))?.release?.input).toBeUndefined();
  });

  it('plans no capacity for a release whose aliases have none', async () => {
    const { deps } = setup();

    const state = (await plan(releaseInput(), deps, { executionId: 'run-nopc' })) as RolloutState;

    expect(state.release?.capacity).toBeUndefined();
    expect(
      state.release?.members.every((m) => m.provisioned === undefined && m.coldCanary === undefined),
    ).toBe(true);
  });

  it('refuses a target that does not fit by its place, prepares none, and holds no record', async () => {
    const { routers, deps } = setup({ cart: ['1'] });

    const refusal = plan(releaseInput(), deps, { executionId: 'run-2' });

    await expect(refusal).rejects.toThrow(
      /^invalid release input: targets\[1\] \(cart:live\): targets\[1\]\.version '2' is not a published version/,
    );
    expect(await deps.records.active()).toEqual([]);
    for (const router of Object.values(routers)) expect(router.calls).toEqual([]);
  });

  it('refuses a release whose name is not 1-64 letters, digits, dots, dashes or underscores', async () => {
    const { deps } = setup();

    await expect(plan(releaseInput({ release: 'shop:v2' }), deps, { executionId: 'run-3' })).rejects.toThrow(
      /release/,
    );
    expect(await deps.records.active()).toEqual([]);
  });
});

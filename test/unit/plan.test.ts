import { describe, expect, it } from 'vitest';
import { extraHold } from '../../shared/core/history';
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

describe('plan and the stable version last hour', () => {
  const release = (overrides: Record<string, unknown> = {}) => ({
    target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
    strategy: 'Canary10Percent5Minutes',
    ...overrides,
  });
  /** The stable side served 1,000 requests a minute at 0.5% over its last hour. */
  function withHistory() {
    const router = new FakeRouter();
    const metrics = new FakeMetrics(() => undefined);
    metrics.history = (at, query) => ({
      at: at.toISOString(),
      requests: 1000,
      errors: 5,
      ...(query.latency
        ? {
            latency: Object.fromEntries(query.latency.map((l) => [l.statistic, { samples: 1000, slow: 10 }])),
          }
        : {}),
    });
    return { router, metrics, deps: fakeDeps(router, metrics) };
  }

  it('says how long the rollout should take at last hour traffic, and why', async () => {
    const { deps } = withHistory();

    const state = (await plan(release(), deps, { executionId: 'run-1' })) as RolloutState;

    expect(state.prior).toMatchObject({ requests: 60_000, errors: 300, requestsPerMinute: 1000 });
    expect(state.forecast?.minutes).toBeGreaterThan(6);
    expect(state.forecast?.minutes).toBeLessThan(16);
    expect(state.next.reason).toMatch(
      /^1 step\(s\) planned; expected to take about [\d.]+ minutes at last hour's 1,000 requests a minute at a 0.5% error rate: longer than the 5-minute schedule because promotion needs evidence that the canary is not 4x worse/,
    );
    expect(deps.events.published[0]?.detail.forecast).toEqual(state.forecast);
  });

  it('names an input given as it is: console for a deployed execution, local for fledge run', async () => {
    const deps = fakeDeps(new FakeRouter(), new FakeMetrics(() => undefined));
    const other = fakeDeps(new FakeRouter(), new FakeMetrics(() => undefined));

    const deployed = (await plan(release(), deps, { executionId: 'run-1' })) as RolloutState;
    const local = (await plan(release(), other, { executionId: 'local-1', local: true })) as RolloutState;

    expect(deployed.trigger).toEqual({ source: 'console' });
    expect(local.trigger).toEqual({ source: 'local' });
  });

  it('says when it cannot tell, because the stable version served nothing in the last hour', async () => {
    const router = new FakeRouter();
    const deps = fakeDeps(router, new FakeMetrics(() => undefined));

    const state = (await plan(release(), deps, { executionId: 'run-1' })) as RolloutState;

    expect(state.prior).toBeUndefined();
    expect(state.forecast?.minutes).toBeNull();
    expect(state.next.reason).toMatch(/served no requests in the last hour/);
  });

  it('fixes the latency thresholds from the stable percentiles, times 1 + tolerance, plus minIncrease', async () => {
    const { deps, metrics } = withHistory();
    metrics.stableStatistics = { p90: 80, p99: 123.456789 };

    const state = (await plan(release({ analysis: { latency: { tolerance: 0.25, minIncrease: 5 } } }), deps, {
      executionId: 'run-1',
    })) as RolloutState;

    expect(state.latency.map((l) => [l.statistic, l.thresholds])).toEqual([
      ['p90', { baseline: 80, canary: 105 }],
      ['p99', { baseline: 123.457, canary: 159.321 }],
    ]);
    expect(state.prior?.dispersion.latency?.p99).toMatchObject({ dof: 59 });
  });

  it('gives AllAtOnce with alarms a bake at 100% before promotion, and AllAtOnce alone none', async () => {
    const { deps, metrics } = withHistory();
    metrics.existingAlarms = ['checkout-errors'];

    const gated = (await plan(
      release({ strategy: 'AllAtOnce', analysis: { alarms: ['checkout-errors'], allAtOnceBakeMinutes: 10 } }),
      deps,
      { executionId: 'run-1' },
    )) as RolloutState;
    const plainRun = (await plan(release({ strategy: 'AllAtOnce' }), fakeDeps(new FakeRouter(), metrics), {
      executionId: 'run-2',
    })) as RolloutState;

    expect(gated.steps).toEqual([{ weight: 100, bakeSeconds: 600 }]);
    expect(gated.next).toMatchObject({ action: 'advance' });
    expect(gated.next.reason).toMatch(/^AllAtOnce, watched by its alarms and health checks before promotion/);
    expect(plainRun.steps).toEqual([]);
    expect(plainRun.next.action).toBe('promote');
  });
});

describe('plan and the hold for evidence (insufficientData.maxExtraMinutes)', () => {
  const release = (analysis: Record<string, unknown> = {}) => ({
    target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
    strategy: 'Canary10Percent5Minutes',
    analysis,
  });
  /** 1,000 requests a minute; errors each minute as `errors(minute)`. */
  function deps(errors: (minute: number) => number) {
    const metrics = new FakeMetrics(() => undefined);
    metrics.history = (at) => ({
      at: at.toISOString(),
      requests: 1000,
      errors: errors(Math.floor(at.getTime() / 60_000)),
    });
    return fakeDeps(new FakeRouter(), metrics);
  }

  it('is 30 minutes when the stable version’s errors vary as Poisson counts do, or less', async () => {
    const state = (await plan(
      release(),
      deps(() => 5),
      { executionId: 'run-1' },
    )) as RolloutState;

    expect(state.analysis.insufficientData.maxExtraMinutes).toBe(30);
    expect(state.next.reason).not.toMatch(/held up to/);
  });

  it('is stretched by how much more they vary, and says so', async () => {
    // 2 and 8 errors in turn: variance 9 around a mean of 5, 1.8 times Poisson's; about 2 at the upper
    // bound an hour allows, so 30 minutes and an hour more for the one unit above Poisson.
    const bursty = deps((minute) => (minute % 2 === 0 ? 2 : 8));

    const state = (await plan(release(), bursty, { executionId: 'run-1' })) as RolloutState;

    expect(state.analysis.insufficientData.maxExtraMinutes).toBeGreaterThanOrEqual(85);
    expect(state.analysis.insufficientData.maxExtraMinutes).toBeLessThanOrEqual(95);
    expect(state.next.reason).toMatch(
      /a step may be held up to \d+ extra minutes for evidence \(insufficientData.maxExtraMinutes, 30 by default\): the stable version's errors varied up to 2\.\d times as much as Poisson counts over its last hour \(90% upper bound\)/,
    );
  });

  it('is as given when the input says', async () => {
    const bursty = deps((minute) => (minute % 2 === 0 ? 2 : 8));

    const state = (await plan(release({ insufficientData: { maxExtraMinutes: 10 } }), bursty, {
      executionId: 'run-1',
    })) as RolloutState;

    expect(state.analysis.insufficientData.maxExtraMinutes).toBe(10);
  });

  it('is the longest hold that fits the schedule in the state machine’s limits, and at least 30 minutes', () => {
    const prior = {
      window: { start: '', end: '' },
      minutes: 60,
      requests: 60_000,
      errors: 300,
      requestsPerMinute: 1000,
      dispersion: { errors: { chi2: 118, dof: 59 } },
    };

    // φ 2, 2.29 at its upper bound: 30 + 60 × 1.29 minutes.
    expect(extraHold(undefined, prior)).toMatchObject({ minutes: 108 });
    expect(extraHold(undefined, prior, () => false)).toEqual({
      minutes: 30,
      reason: expect.stringMatching(/held up to 30 extra minutes .* but 108 would not fit this schedule/),
    });
    // The longest that still fits, when some longer hold does.
    expect(extraHold(undefined, prior, (minutes) => minutes <= 80)).toEqual({
      minutes: 78,
      reason: expect.stringMatching(/held up to 78 extra minutes .* but 108 would not fit this schedule/),
    });
    expect(
      extraHold(undefined, { ...prior, dispersion: { errors: { chi2: 59 * 20, dof: 59 } } }).minutes,
    ).toBe(240);
  });
});

describe('plan and hooks', () => {
  const lambdaRelease = (hooks: Record<string, string>) => ({
    target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
    hooks,
  });

  it('refuses a hook the state machine could not invoke, naming the field, before anything is written', async () => {
    const router = new FakeRouter();
    const deps = fakeDeps(router, new FakeMetrics(() => undefined), { missingHooks: ['fledge-hook-smoek'] });

    const planning = plan(
      lambdaRelease({ beforeAllowTraffic: 'fledge-hook-smoke', afterAllowTraffic: 'fledge-hook-smoek' }),
      deps,
      { executionId: 'run-1' },
    );

    await expect(planning).rejects.toMatchObject({
      name: 'InvalidInputError',
      message:
        'invalid rollout input: hooks.afterAllowTraffic: there is no Lambda function fledge-hook-smoek',
    });
    expect(await deps.records.active()).toEqual([]);
  });

  it('plans a rollout whose hooks can be invoked', async () => {
    const deps = fakeDeps(new FakeRouter(), new FakeMetrics(() => undefined));

    const state = (await plan(lambdaRelease({ afterAllowTraffic: 'fledge-hook-smoke' }), deps, {
      executionId: 'run-1',
    })) as RolloutState;

    expect(state.hooks).toEqual({ afterAllowTraffic: 'fledge-hook-smoke' });
  });
});

describe('plan and step weights', () => {
  it('refuses a weight finer than a rollout records, naming the field, before touching the target', async () => {
    // 33.3333 would be written to the alias as 0.333333 but recorded as 33.333, so the next step would
    // find a split it did not expect and stop on a conflict with itself, leaving traffic split.
    const router = new FakeRouter();
    const deps = fakeDeps(router, new FakeMetrics(() => undefined));
    const input = {
      target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
      strategy: { steps: [{ weight: 33.3333, bakeMinutes: 5 }] },
    };

    await expect(plan(input, deps, { executionId: 'run-1' })).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringMatching(/strategy\.steps\[0\]\.weight: 33\.3333 has more than 3 decimals/),
    });
    expect(router.calls).toEqual([]);
    expect(await deps.records.active()).toEqual([]);
  });
});

describe('plan and the input a retry starts again', () => {
  const input = (insufficientData: Record<string, unknown>) => ({
    target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
    analysis: { insufficientData },
  });
  const recorded = async (insufficientData: Record<string, unknown>) => {
    const deps = fakeDeps(new FakeRouter(), new FakeMetrics(() => undefined));
    const state = (await plan(input(insufficientData), deps, { executionId: 'run-1' })) as RolloutState;
    const record = await deps.records.get(state.record.key);
    const kept = record?.input as { analysis: { insufficientData: Record<string, unknown> } } | undefined;
    return { state, given: kept?.analysis.insufficientData };
  };

  it('leaves out the extra hold Plan fixed from the last hour, so a retry fixes it from its own', async () => {
    const { state, given } = await recorded({});

    expect(state.analysis.insufficientData.maxExtraMinutes).toBeGreaterThan(0);
    expect(given).not.toHaveProperty('maxExtraMinutes');
  });

  it('keeps an extra hold the input gave', async () => {
    const { given } = await recorded({ maxExtraMinutes: 45 });

    expect(given).toMatchObject({ maxExtraMinutes: 45 });
  });
});

describe('plan and the metric lag (analysis.metricLagMinutes)', () => {
  const release = (analysis: Record<string, unknown> = {}) => ({
    target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
    strategy: 'Canary10Percent5Minutes',
    analysis,
  });
  function setup(requestSeconds: number | undefined) {
    const router = new FakeRouter();
    router.requestSeconds = requestSeconds;
    return { router, deps: fakeDeps(router, new FakeMetrics(() => undefined)) };
  }

  it('is 1 minute for requests that end within a minute', async () => {
    const { deps } = setup(30);

    const state = (await plan(release(), deps, { executionId: 'run-1' })) as RolloutState;

    expect(state.analysis.metricLagMinutes).toBe(1);
    expect(state.next.reason).not.toMatch(/metric lag/);
  });

  it('covers the longest request when unset, as Lambda publishes a request’s metrics when it ends, and says so', async () => {
    // A canary whose requests hang until a 15-minute timeout would otherwise look healthy for 15 minutes:
    // the newest minutes would hold its fast requests but not its timeouts.
    const { deps } = setup(900);

    const state = (await plan(release(), deps, { executionId: 'run-1' })) as RolloutState;

    expect(state.analysis.metricLagMinutes).toBe(15);
    expect(state.next.reason).toMatch(/metric lag 15 minutes: requests of checkout .* may run 900 s/);
    const record = await deps.records.get(state.record.key);
    expect(record?.input).toHaveProperty('analysis');
    expect(record?.input).not.toHaveProperty('analysis.metricLagMinutes');
  });

  it('refuses a lag given shorter than the longest request, naming the field, and frees the target', async () => {
    const { deps } = setup(301);

    await expect(
      plan(release({ metricLagMinutes: 2 }), deps, { executionId: 'run-1' }),
    ).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringMatching(/analysis\.metricLagMinutes: 2 is shorter .* at least 6/),
    });
    expect(await deps.records.active()).toEqual([]);
  });

  it('keeps a lag given that covers the longest request, in the state and the record', async () => {
    const { deps } = setup(120);

    const state = (await plan(release({ metricLagMinutes: 3 }), deps, {
      executionId: 'run-1',
    })) as RolloutState;

    expect(state.analysis.metricLagMinutes).toBe(3);
    const record = await deps.records.get(state.record.key);
    expect(record?.input).toHaveProperty('analysis.metricLagMinutes', 3);
  });
});

describe('plan and the health checks it watches (analysis.healthChecks)', () => {
  it('refuses one that does not exist or cannot be read, naming the field, before touching the target', async () => {
    // A missing check fails every check (three in a row roll a healthy canary back, after traffic moved);
    // a calculated one has no status to read, so it would never be seen failing.
    const router = new FakeRouter();
    const metrics = new FakeMetrics(() => undefined);
    metrics.missingChecks = ['hc-typo'];
    metrics.calculatedChecks = ['hc-all'];
    const deps = fakeDeps(router, metrics);
    const input = {
      target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
      analysis: { healthChecks: ['hc-fine', 'hc-typo', 'hc-all'] },
    };

    await expect(plan(input, deps, { executionId: 'run-1' })).rejects.toMatchObject({
      name: 'InvalidInputError',
      message:
        "analysis.healthChecks: no Route 53 health check 'hc-typo'; 'hc-all' is a calculated health check",
    });
    expect(router.calls).toEqual([]);
    expect(await deps.records.active()).toEqual([]);
  });
});

describe('plan and the series an API Gateway stage is judged on', () => {
  const gatewaySide = (metricName: string) => ({
    namespace: 'AWS/ApiGateway',
    metricName,
    stable: { ApiName: 'orders-api', Stage: 'prod' },
    canary: { ApiName: 'orders-api', Stage: 'prod/Canary' },
  });
  const stageRelease = {
    target: { type: 'apigateway-canary', restApiId: 'a1b2c3', stageName: 'prod', deploymentId: 'k7x9q2' },
    strategy: 'Linear10PercentEvery1Minute',
    analysis: { requests: gatewaySide('Count'), errors: gatewaySide('5XXError') },
  };
  const unlisted = (metricName: string, Stage: string) =>
    `AWS/ApiGateway ${metricName} ${JSON.stringify({ ApiName: 'orders-api', Stage })}`;

  it('refuses series CloudWatch does not list, naming each field, before touching the stage', async () => {
    // How API Gateway spells a canary's own series is not documented: one never seen may never come, and
    // a canary judged on it would only ever read as no data.
    const router = new FakeRouter();
    const metrics = new FakeMetrics(() => undefined);
    metrics.unlisted = [unlisted('Count', 'prod/Canary'), unlisted('5XXError', 'prod/Canary')];
    const deps = fakeDeps(router, metrics);

    const planning = plan(stageRelease, deps, { executionId: 'run-1' });

    await expect(planning).rejects.toMatchObject({ name: 'InvalidInputError' });
    await expect(planning).rejects.toThrow(
      'analysis.requests.canary: CloudWatch lists no AWS/ApiGateway Count with exactly {ApiName=orders-api, Stage=prod/Canary}; ' +
        'analysis.errors.canary: CloudWatch lists no AWS/ApiGateway 5XXError with exactly {ApiName=orders-api, Stage=prod/Canary}; ' +
        "API Gateway does not document how it names a stage canary's own series",
    );
    expect(router.calls).toEqual([]);
    expect(await deps.records.active()).toEqual([]);
  });

  it('plans a stage whose named series CloudWatch lists on both sides', async () => {
    const metrics = new FakeMetrics(() => undefined);
    metrics.unlisted = [unlisted('Count', 'beta/Canary')];
    const deps = fakeDeps(new FakeRouter(), metrics);

    const state = (await plan(stageRelease, deps, { executionId: 'run-1' })) as RolloutState;

    expect(state.metrics.canary.requests).toEqual({
      namespace: 'AWS/ApiGateway',
      metricName: 'Count',
      dimensions: { ApiName: 'orders-api', Stage: 'prod/Canary' },
    });
  });

  it('does not ask it of a kind whose series are documented (a new Lambda version has none yet)', async () => {
    const metrics = new FakeMetrics(() => undefined);
    metrics.unlisted = [`MyApp Requests ${JSON.stringify({ Side: 'canary' })}`];
    const deps = fakeDeps(new FakeRouter(), metrics);
    const input = {
      target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
      analysis: { requests: side('Requests'), errors: side('Errors') },
    };

    await expect(plan(input, deps, { executionId: 'run-1' })).resolves.toMatchObject({
      label: expect.any(String),
    });
  });
});

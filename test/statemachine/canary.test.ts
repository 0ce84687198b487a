/**
 * The real ASL, run by aws-local-stepfunctions, calling the real handlers, with in-memory ports.
 */
import { describe, expect, it } from 'vitest';
import { runLocal } from '../../cli/local/runner';
import { exitCode, toReport } from '../../cli/reports/progress';
import { TrafficConflictError, TransientAwsError } from '../../shared/core/errors';
import { FakeMetrics, FakeRouter, fakeDeps, steadyMinute, T0 } from '../support/fakes';

const input = (overrides: Record<string, unknown> = {}) => ({
  target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
  strategy: 'Linear10PercentEvery1Minute',
  ...overrides,
});

/** Metrics that follow the router's live weight: 1000 requests a minute. */
function trafficFor(router: FakeRouter, canaryRate: number, baselineRate = 0.005) {
  return new FakeMetrics((at) =>
    steadyMinute(at, 1000, Math.max(router.weight, 10) / 100, canaryRate, baselineRate),
  );
}

async function run(router: FakeRouter, metrics: FakeMetrics, rolloutInput: unknown = input()) {
  const deps = fakeDeps(router, metrics);
  const result = await runLocal({ input: rolloutInput, deps, virtualClock: deps.clock });
  return { result, report: toReport(result), clock: deps.clock };
}

describe('canary state machine', () => {
  it('promotes a healthy canary through every step, waiting on the virtual clock', async () => {
    // Prepare
    const router = new FakeRouter();
    const metrics = trafficFor(router, 0.005);
    // Act
    const { result, report, clock } = await run(router, metrics);
    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(report).toMatchObject({ outcome: 'promoted', baseline: '1', canary: '2', weight: 100 });
    expect(router.calls).toEqual([
      ...[10, 20, 30, 40, 50, 60, 70, 80, 90].map((w) => `setWeight:${w}`),
      'promote',
    ]);
    expect(router.version).toBe('2');
    expect(result.path).toContain('Bake');
    // 9 one-minute steps, plus the metric lag before the last step can be judged.
    const minutes = (clock.now().getTime() - T0.getTime()) / 60_000;
    expect(minutes).toBeGreaterThanOrEqual(9);
    expect(minutes).toBeLessThanOrEqual(14);
  });

  it('rolls back on bad metrics, ends FAILED with the evidence, and never promotes', async () => {
    const router = new FakeRouter();
    const metrics = trafficFor(router, 0.05);

    const { result, report } = await run(router, metrics);

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('fledge.RolledBack');
    expect(report.outcome).toBe('rolled-back');
    expect(report.reason).toMatch(/canary error rate is higher than baseline/);
    expect(report.verdict?.evidence?.canary.errors).toBeGreaterThan(0);
    expect(router.calls.at(-1)).toBe('rollback');
    expect(router.calls).not.toContain('promote');
    expect(router.version).toBe('1');
    expect(router.weight).toBe(0);
  });

  it('rolls back when a task fails after traffic moved', async () => {
    const router = new FakeRouter();
    router.failures.setWeight = [];
    const metrics = trafficFor(router, 0.005);
    let setWeightCalls = 0;
    const deps = fakeDeps(router, metrics);
    const result = await runLocal({
      input: input(),
      deps,
      virtualClock: deps.clock,
      taskOverrides: {
        SetWeight: async (taskInput, real) => {
          setWeightCalls += 1;
          if (setWeightCalls === 3)
            throw Object.assign(new Error('weights out of range'), { name: 'RangeError' });
          return real(taskInput);
        },
      },
    });

    const report = toReport(result);
    expect(result.error).toBe('fledge.RolledBack');
    expect(report.reason).toMatch(/RangeError during the rollout: weights out of range/);
    expect(router.calls).toEqual(['setWeight:10', 'setWeight:20', 'rollback']);
  });

  it('retries a throttled step and goes on', async () => {
    const router = new FakeRouter();
    router.failures.setWeight = [
      new TransientAwsError('lambda:UpdateAlias failed transiently (ThrottlingException)'),
    ];
    const metrics = trafficFor(router, 0.005);

    const { result } = await run(router, metrics, input({ strategy: 'Canary10Percent5Minutes' }));

    expect(result.status).toBe('SUCCEEDED');
    expect(router.calls).toEqual(['setWeight:10', 'setWeight:10', 'promote']);
  });

  it('rejects invalid input in Plan and touches nothing', async () => {
    const router = new FakeRouter();
    const metrics = trafficFor(router, 0.005);

    const { result, report } = await run(
      router,
      metrics,
      input({ strategy: 'Linear150PercentEvery1Minute' }),
    );

    expect(result.error).toBe('InvalidInputError');
    expect(report.outcome).toBe('rejected');
    expect(report.reason).toMatch(/strategy/);
    expect(result.path).toEqual(['Plan', 'Rejected']);
    expect(router.calls).toEqual([]);
  });

  it.each([
    ['an array', []],
    ['a number', 42],
    ['a string', 'x'],
    ['a boolean', true],
    ['null', null],
  ])('rejects %s as input (InvalidInputError naming it) and touches nothing', async (_, notAnObject) => {
    const router = new FakeRouter();
    const metrics = trafficFor(router, 0.005);

    const { result, report } = await run(router, metrics, notAnObject);

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidInputError');
    expect(result.path).toEqual(['Plan', 'Rejected']);
    expect(report).toMatchObject({ outcome: 'rejected' });
    expect(report.reason).toMatch(/object/);
    expect(exitCode(report)).toBe(2);
    expect(router.calls).toEqual([]);
  });

  it('stops without writing when someone else changed the split', async () => {
    const router = new FakeRouter();
    router.failures.setWeight = [new TrafficConflictError('alias live was changed by someone else')];
    const metrics = trafficFor(router, 0.005);

    const { result, report } = await run(router, metrics);

    expect(result.error).toBe('fledge.TrafficConflict');
    expect(report.outcome).toBe('stopped');
    expect(router.calls).not.toContain('rollback');
  });

  it('fails with fledge.RollbackFailed when even rollback keeps failing', async () => {
    const router = new FakeRouter();
    router.failures.rollback = Array.from({ length: 20 }, () => new Error('AccessDenied'));
    const metrics = trafficFor(router, 0.05);

    const { result, report } = await run(router, metrics);

    expect(result.error).toBe('fledge.RollbackFailed');
    expect(report.outcome).toBe('rollback-failed');
    expect(result.cause).toContain(
      `alias checkout:live (version 1 → 2) - the rollback failed after its retries (Error). Traffic was last set to ${router.weight}% on the canary and may still be split`,
    );
    expect(router.weight).toBeGreaterThan(0);
    // 11 attempts by the state machine, then one more by recovery, which fails too and says so.
    expect(router.calls.filter((c) => c === 'rollback')).toHaveLength(12);
    expect(result.recovery).toMatchObject({ action: 'failed', reason: 'Error: AccessDenied' });
  });

  describe('when even the rollback fails, says what may be live', () => {
    const denied = () => Array.from({ length: 20 }, () => new Error('AccessDenied'));
    /** The announcement the state machine put, and the run. */
    async function failedRollback(
      router: FakeRouter,
      options: Partial<Parameters<typeof runLocal>[0]> & { input: unknown },
    ) {
      const deps = fakeDeps(router, trafficFor(router, 0.005));
      const result = await runLocal({ deps, virtualClock: deps.clock, ...options });
      const announced = deps.events.published.find((e) => e.detailType === 'Canary Rollback Failed');
      return { result, announced: announced?.detail, deps };
    }

    it('all traffic on the canary after a promotion whose afterAllowTraffic hook failed', async () => {
      // Prepare
      const router = new FakeRouter();
      router.failures.rollback = denied();

      // Act
      const { result, announced } = await failedRollback(router, {
        input: input({ strategy: 'Canary10Percent5Minutes', hooks: { afterAllowTraffic: 'post' } }),
        invoke: async () => ({ status: 'Failed' }),
      });

      // Assess: the alias really is promoted, and the alarm says so.
      expect(router.version).toBe('2');
      expect(result.error).toBe('fledge.RollbackFailed');
      expect(result.cause).toContain('Traffic was last set to 100% on the canary and may still be split');
      expect(announced).toMatchObject({
        weight: 100,
        summary:
          'ROLLBACK FAILED for alias checkout:live (version 1 → 2), traffic may still be split (100% on the canary). Error',
      });
    });

    it.each([
      [
        'SetWeight',
        'Linear10PercentEvery1Minute',
        'setWeight:20',
        '10% on the canary, or to 20%',
        '10% or 20%',
      ],
      ['Promote', 'Canary10Percent5Minutes', 'promote', '10% on the canary, or to 100%', '10% or 100%'],
    ])(
      'the weight before and the one written when %s failed after its write landed',
      async (state, strategy, landed, cause, summary) => {
        // Prepare: the step's write lands, then the step fails (its response lost, say); rollback is denied.
        const router = new FakeRouter();
        router.failures.rollback = denied();
        let failed = false;

        // Act
        const { result, announced } = await failedRollback(router, {
          input: input({ strategy }),
          taskOverrides: {
            [state]: async (taskInput, real) => {
              const output = await real(taskInput);
              if (failed || router.calls.at(-1) !== landed) return output;
              failed = true;
              throw Object.assign(new Error('weights out of range'), { name: 'RangeError' });
            },
          },
        });

        // Assess
        expect(failed).toBe(true);
        expect(result.error).toBe('fledge.RollbackFailed');
        expect(result.cause).toContain(
          `Traffic was last set to ${cause} if the write of the step that failed before the rollback had landed, and may still be split`,
        );
        expect(announced).toMatchObject({
          weight: 10,
          summary: `ROLLBACK FAILED for alias checkout:live (version 1 → 2), traffic may still be split (${summary} on the canary). Error`,
        });
      },
    );
  });

  it('says the canary had all traffic when it rolls back a promotion whose afterAllowTraffic hook failed', async () => {
    const router = new FakeRouter();
    const deps = fakeDeps(router, trafficFor(router, 0.005));

    await runLocal({
      input: input({ strategy: 'Canary10Percent5Minutes', hooks: { afterAllowTraffic: 'post' } }),
      deps,
      virtualClock: deps.clock,
      invoke: async () => ({ status: 'Failed' }),
    });

    const rolledBack = deps.events.published.find((e) => e.detailType === 'Canary Rolled Back');
    expect(rolledBack?.detail).toMatchObject({ weightBefore: 100 });
    expect(router.version).toBe('1');
  });

  it('restores the baseline through recovery once a failed rollback can succeed again', async () => {
    const router = new FakeRouter();
    router.failures.rollback = Array.from({ length: 11 }, () => new Error('AccessDenied'));
    const metrics = trafficFor(router, 0.05);

    const { result } = await run(router, metrics);

    expect(result.error).toBe('fledge.RollbackFailed');
    expect(result.recovery).toMatchObject({ action: 'rolled-back', weight: 0 });
    expect(router.weight).toBe(0);
    expect(router.version).toBe('1');
  });

  it('rolls back when an alarm is in ALARM', async () => {
    const router = new FakeRouter();
    const metrics = trafficFor(router, 0.005);
    metrics.existingAlarms = ['checkout-p99'];
    metrics.alarms = ['checkout-p99'];

    const { report } = await run(router, metrics, input({ analysis: { alarms: ['checkout-p99'] } }));

    expect(report.outcome).toBe('rolled-back');
    expect(report.reason).toBe('alarm in ALARM: checkout-p99');
  });

  it('rolls back, by default, a canary that never gets enough traffic to judge', async () => {
    const router = new FakeRouter();
    const metrics = new FakeMetrics((at) => steadyMinute(at, 20, router.weight / 100, 0, 0));

    const { report } = await run(router, metrics, input({ strategy: 'Canary10Percent5Minutes' }));

    expect(report.outcome).toBe('rolled-back');
    expect(report.reason).toMatch(/insufficient data after 30 extra minutes/);
  });

  it('promotes without enough data only when configured to, and says so', async () => {
    const router = new FakeRouter();
    const metrics = new FakeMetrics((at) => steadyMinute(at, 20, router.weight / 100, 0, 0));

    const { report } = await run(
      router,
      metrics,
      input({
        strategy: 'Canary10Percent5Minutes',
        analysis: { insufficientData: { action: 'promote', maxExtraMinutes: 2 } },
      }),
    );

    expect(report.outcome).toBe('promoted');
    expect(report.insufficientData).toBe(true);
    expect(report.reason).toMatch(/insufficient data/);
  });

  it('shifts everything at once for AllAtOnce without alarms or health checks', async () => {
    const router = new FakeRouter();
    const metrics = trafficFor(router, 0.005);

    const { result } = await run(router, metrics, input({ strategy: 'CodeDeployDefault.LambdaAllAtOnce' }));

    expect(result.status).toBe('SUCCEEDED');
    expect(router.calls).toEqual(['promote']);
  });

  it('bakes AllAtOnce with alarms after the switch, and promotes when they stay clear', async () => {
    const router = new FakeRouter();
    const metrics = trafficFor(router, 0.005);
    metrics.existingAlarms = ['checkout-errors'];

    const { result, clock } = await run(
      router,
      metrics,
      input({ strategy: 'AllAtOnce', analysis: { alarms: ['checkout-errors'] } }),
    );

    expect(result.status).toBe('SUCCEEDED');
    expect(router.calls).toEqual(['setWeight:100', 'promote']);
    expect((clock.now().getTime() - T0.getTime()) / 60_000).toBeGreaterThanOrEqual(5);
    expect(metrics.alarmReads).toBeGreaterThanOrEqual(5);
  });

  it('rolls an AllAtOnce release back when an alarm is already in ALARM, instead of promoting it', async () => {
    const router = new FakeRouter();
    const metrics = trafficFor(router, 0.005);
    metrics.existingAlarms = ['checkout-errors'];
    metrics.alarms = ['checkout-errors'];

    const { report } = await run(
      router,
      metrics,
      input({ strategy: 'AllAtOnce', analysis: { alarms: ['checkout-errors'] } }),
    );

    expect(report.outcome).toBe('rolled-back');
    expect(report.reason).toBe('alarm in ALARM: checkout-errors');
    expect(router.calls).toEqual(['setWeight:100', 'rollback']);
  });

  it('reads alarms at the first check, before CloudWatch has a complete minute', async () => {
    const router = new FakeRouter();
    const metrics = trafficFor(router, 0.005);
    metrics.existingAlarms = ['checkout-p99'];
    metrics.alarms = ['checkout-p99'];

    const { report } = await run(router, metrics, input({ analysis: { alarms: ['checkout-p99'] } }));

    expect(report).toMatchObject({ outcome: 'rolled-back', checks: 1 });
    expect(metrics.windows).toEqual([]);
    expect(router.calls).toEqual(['setWeight:10', 'rollback']);
  });

  it('rolls back a canary with more slow requests than the baseline beyond the tolerance', async () => {
    // Prepare: the stable side's last hour had p90 100 ms and p99 120 ms; the canary's p99 tail is 5x.
    const router = new FakeRouter();
    const metrics = new FakeMetrics((at) => {
      const m = steadyMinute(at, 1000, Math.max(router.weight, 10) / 100, 0.005, 0.005);
      return {
        ...m,
        latency: {
          p90: {
            canary: { samples: m.canary.requests, slow: Math.round(m.canary.requests * 0.05) },
            baseline: { samples: m.baseline.requests, slow: Math.round(m.baseline.requests * 0.1) },
          },
          p99: {
            canary: { samples: m.canary.requests, slow: Math.round(m.canary.requests * 0.05) },
            baseline: { samples: m.baseline.requests, slow: Math.round(m.baseline.requests * 0.01) },
          },
        },
      };
    });
    metrics.stableStatistics = { p90: 100, p99: 120 };

    // Act
    const { report } = await run(router, metrics, input({ analysis: { latency: { tolerance: 0.2 } } }));

    // Assess
    expect(report.outcome).toBe('rolled-back');
    expect(report.reason).toMatch(
      /^canary p99 latency is worse than baseline's: \d+\/\d+ canary requests slower than 144 vs \d+\/\d+ baseline requests slower than 120/,
    );
    expect(report.verdict?.evidence?.latency?.map((l) => [l.statistic, l.thresholds])).toEqual([
      ['p90', { canary: 120, baseline: 100 }],
      ['p99', { canary: 144, baseline: 120 }],
    ]);
  });

  it('compares the percentiles asked for, and promotes a canary within the tolerance', async () => {
    const router = new FakeRouter();
    const metrics = new FakeMetrics((at) => {
      const m = steadyMinute(at, 1000, Math.max(router.weight, 10) / 100, 0.005, 0.005);
      const slow = (share: number, n: number) => ({ samples: n, slow: Math.round(n * share) });
      return {
        ...m,
        // p99 would fail, but only p90 is asked for; the canary has fewer requests above its p90 threshold.
        latency: { p90: { canary: slow(0.06, m.canary.requests), baseline: slow(0.1, m.baseline.requests) } },
      };
    });
    metrics.stableStatistics = { p90: 100, p99: 120 };

    const { report } = await run(router, metrics, input({ analysis: { latency: { statistics: ['p90'] } } }));

    expect(report.outcome).toBe('promoted');
    expect(report.verdict?.evidence?.latency?.map((l) => l.statistic)).toEqual(['p90']);
  });

  it('refuses latency analysis when the stable side has no latency in the last hour, before touching anything', async () => {
    const router = new FakeRouter();
    const metrics = trafficFor(router, 0.005);

    const { report } = await run(router, metrics, input({ analysis: { latency: {} } }));

    expect(report.outcome).toBe('rejected');
    expect(report.reason).toMatch(
      /analysis.latency: the stable side has no AWS\/Lambda Duration p90, p99 in the last hour/,
    );
    expect(router.calls).toEqual([]);
  });

  it('rolls back when a Route 53 health check turns unhealthy', async () => {
    const router = new FakeRouter();
    const metrics = trafficFor(router, 0.005);
    metrics.unhealthy = ['hc-canary'];

    const { report } = await run(router, metrics, input({ analysis: { healthChecks: ['hc-canary'] } }));

    expect(report.outcome).toBe('rolled-back');
    expect(report.reason).toBe('Route 53 health check unhealthy: hc-canary');
  });

  it('refuses a latency check that names only part of a metric, before touching anything', async () => {
    const router = new FakeRouter();
    const metrics = trafficFor(router, 0.005);

    const { report } = await run(router, metrics, input({ analysis: { latency: { namespace: 'MyApp' } } }));

    expect(report.outcome).toBe('rejected');
    expect(report.reason).toMatch(/analysis.latency: set namespace, metricName, stable and canary together/);
    expect(router.calls).toEqual([]);
  });
});

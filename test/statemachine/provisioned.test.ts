/**
 * Provisioned concurrency for the canary version, through the real ASL and handlers: asked for after Plan,
 * waited on with the native Wait until READY, before any traffic; FAILED rolls back with none moved; removed
 * after promotion and rollback, with its concurrency-hours in the outcome.
 */
import { describe, expect, it } from 'vitest';
import { RecordingRouter } from '../../cli/local/replay';
import { runLocal } from '../../cli/local/runner';
import { describeEvent, provisionedLine, toReport } from '../../cli/reports/progress';
import { loadDefinition } from '../../cli/shared/definition';
import { LifecycleEventSchemas } from '../../shared/core/event-schemas';
import { MAX_PROVISION_MINUTES, PROVISION_WAIT_SECONDS } from '../../shared/core/provisioned';
import { fromLocalRun } from '../../shared/report/history';
import { buildTimeline } from '../../shared/report/timeline';
import { FakeMetrics, FakeRouter, fakeDeps, steadyMinute, T0 } from '../support/fakes';

const input = (target: Record<string, unknown> = {}) => ({
  target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2', ...target },
  strategy: 'Canary10Percent5Minutes',
});

function trafficFor(router: FakeRouter, canaryRate: number) {
  return new FakeMetrics((at) =>
    steadyMinute(at, 1000, Math.max(router.weight, 10) / 100, canaryRate, 0.005),
  );
}

async function run(router: FakeRouter, canaryRate = 0.005, rolloutInput: unknown = input()) {
  const deps = fakeDeps(router, trafficFor(router, canaryRate));
  const result = await runLocal({ input: rolloutInput, deps, virtualClock: deps.clock });
  const record = await deps.records.forExecution(result.executionArn);
  return { result, report: toReport(result), clock: deps.clock, record };
}

/** An alias with 20 provisioned concurrency whose new version's becomes READY after two more reads. */
function aliasWithProvisioned(): FakeRouter {
  const router = new FakeRouter();
  router.provisioned = { stable: 20, canary: 0 };
  router.provisionStatuses = ['IN_PROGRESS', 'IN_PROGRESS', 'READY'];
  return router;
}

describe('provisioned concurrency for the canary', () => {
  it('warms the new version to READY before any traffic, then removes it after promotion', async () => {
    const router = aliasWithProvisioned();

    const { result, report, record } = await run(router);

    expect(result.status).toBe('SUCCEEDED');
    // Canary10Percent5Minutes: one 10% step before promotion, so 10% of the alias's 20 (at promotion
    // Lambda moves the alias's own to the new version).
    expect(router.calls).toEqual([
      'provision:2:IN_PROGRESS',
      'provision:2:IN_PROGRESS',
      'provision:2:READY',
      'setWeight:10',
      'promote',
      'unprovision',
    ]);
    expect(result.path.filter((s) => s === 'WaitForProvisioned')).toHaveLength(2);
    expect(router.canaryProvisioned).toBeUndefined();
    expect(report.provisioned).toMatchObject({ version: '2', count: 2, status: 'removed' });
    // Requested at T0, removed at promotion: 2 x the rollout's hours.
    const { requestedAt, endedAt } = report.provisioned ?? {};
    expect(requestedAt).toBe(T0.toISOString());
    expect(report.provisioned?.hours).toBeCloseTo(
      (2 * (Date.parse(endedAt ?? '') - T0.getTime())) / 3_600_000,
      3,
    );
    expect(report.provisioned?.hours).toBeGreaterThan(0);
    expect(record?.provisioned).toMatchObject({ status: 'removed' });
  });

  it('puts it in the Canary Promoted and Canary Rolled Back events, as their schemas say', async () => {
    for (const canaryRate of [0.005, 0.08]) {
      const router = aliasWithProvisioned();
      const deps = fakeDeps(router, trafficFor(router, canaryRate));
      await runLocal({ input: input(), deps, virtualClock: deps.clock });
      const end = deps.events.published.find(
        (e) => e.detailType === 'Canary Promoted' || e.detailType === 'Canary Rolled Back',
      );
      const schema = LifecycleEventSchemas[end?.detailType as 'Canary Promoted' | 'Canary Rolled Back'];

      expect(end?.detail.provisioned).toMatchObject({ version: '2', count: 2, status: 'removed' });
      expect(schema.shape.provisioned.safeParse(end?.detail.provisioned).success).toBe(true);
    }
  });

  it('sizes it to the largest step share of the alias', async () => {
    const router = aliasWithProvisioned();
    const deps = fakeDeps(router, trafficFor(router, 0.005));

    const result = await runLocal({
      input: {
        ...input(),
        strategy: {
          steps: [
            { weight: 5, bakeMinutes: 2 },
            { weight: 25, bakeMinutes: 2 },
          ],
        },
      },
      deps,
      virtualClock: deps.clock,
    });

    expect(result.status).toBe('SUCCEEDED');
    expect(router.calls[0]).toBe('provision:5:IN_PROGRESS');
  });

  it('counts the canary from READY: its first traffic, and the analysis window, start after the wait', async () => {
    const router = aliasWithProvisioned();

    const { result } = await run(router);

    const output = result.output as { startedAt: string; provisioned: { readyAt: string } };
    const readyAt = Date.parse(output.provisioned.readyAt);
    // Two waits of PROVISION_WAIT_SECONDS, then READY: no step ran while it warmed.
    expect(readyAt - Date.parse(output.startedAt)).toBe(2 * PROVISION_WAIT_SECONDS * 1000);
    expect(router.calls.indexOf('setWeight:10')).toBeGreaterThan(router.calls.indexOf('provision:2:READY'));
  });

  it('rolls back before any traffic moves when the provisioned concurrency FAILED, and removes it', async () => {
    const router = aliasWithProvisioned();
    router.provisionStatuses = ['IN_PROGRESS', 'FAILED'];

    const { result, report } = await run(router);

    expect(result.error).toBe('fledge.RolledBack');
    expect(router.calls).toEqual([
      'provision:2:IN_PROGRESS',
      'provision:2:FAILED',
      'rollback',
      'unprovision',
    ]);
    expect(report.reason).toMatch(
      /provisioned concurrency for version 2 failed \(FUNCTION_ERROR_INIT_FAILURE\); no traffic had moved/,
    );
    expect(report.provisioned).toMatchObject({ status: 'removed' });
  });

  it("ends the wait on an operator's abort: rolled back with its reason, no traffic moved", async () => {
    const router = aliasWithProvisioned();
    router.provisionStatuses = ['IN_PROGRESS'];
    const deps = fakeDeps(router, trafficFor(router, 0.005));
    let passes = 0;

    const result = await runLocal({
      input: input(),
      deps,
      virtualClock: deps.clock,
      taskOverrides: {
        ProvisionCanary: async (taskInput, real) => {
          passes += 1;
          if (passes === 3) {
            const { rollout } = taskInput as { rollout: { record: { key: string; owner: string } } };
            await deps.records.request(rollout.record.key, rollout.record.owner, {
              command: {
                id: 'abort-1',
                action: 'abort',
                by: 'ana',
                reason: 'wrong build',
                at: deps.clock.now().toISOString(),
              },
            });
          }
          return real(taskInput);
        },
      },
    });

    const report = toReport(result);
    expect(result.error).toBe('fledge.RolledBack');
    expect(passes).toBe(3);
    expect(report.reason).toMatch(/wrong build/);
    expect(report.forced).toMatchObject({ action: 'rollback', by: 'ana' });
    expect(router.calls.filter((c) => c.startsWith('setWeight'))).toEqual([]);
    expect(router.calls.slice(-2)).toEqual(['rollback', 'unprovision']);
  });

  it(`gives up after ${MAX_PROVISION_MINUTES} minutes still IN_PROGRESS and rolls back`, async () => {
    const router = aliasWithProvisioned();
    router.provisionStatuses = ['IN_PROGRESS'];

    const { result, report, clock } = await run(router);

    expect(result.error).toBe('fledge.RolledBack');
    expect(router.calls).not.toContain('setWeight:10');
    expect(report.reason).toMatch(/still IN_PROGRESS 15 minutes after it was requested/);
    const waited = (clock.now().getTime() - T0.getTime()) / 60_000;
    expect(waited).toBeGreaterThan(MAX_PROVISION_MINUTES);
    expect(waited).toBeLessThan(MAX_PROVISION_MINUTES + 2);
  });

  it('removes it after a rollback on bad metrics', async () => {
    const router = aliasWithProvisioned();

    const { result, report } = await run(router, 0.08);

    expect(result.error).toBe('fledge.RolledBack');
    expect(router.calls.slice(-2)).toEqual(['rollback', 'unprovision']);
    expect(report.provisioned).toMatchObject({ status: 'removed' });
  });

  it('asks for none when the alias has none, or the input turns it off', async () => {
    const plain = new FakeRouter();
    const off = aliasWithProvisioned();

    const first = await run(plain);
    const second = await run(off, 0.005, input({ provisionedConcurrency: 'off' }));

    for (const [router, { result, report }] of [
      [plain, first],
      [off, second],
    ] as const) {
      expect(result.status).toBe('SUCCEEDED');
      expect(result.path).not.toContain('ProvisionCanary');
      expect(router.calls.some((c) => c.startsWith('provision') || c === 'unprovision')).toBe(false);
      expect(report.provisioned).toBeUndefined();
    }
  });

  it('leaves provisioned concurrency someone else changed on the version, and says so', async () => {
    const router = aliasWithProvisioned();
    router.provisionStatuses = ['READY'];
    const deps = fakeDeps(router, trafficFor(router, 0.005));
    const result = await runLocal({
      input: input(),
      deps,
      virtualClock: deps.clock,
      taskOverrides: {
        Promote: async (taskInput, real) => {
          router.canaryProvisioned = 50; // someone raised it by hand during the rollout
          return real(taskInput);
        },
      },
    });

    expect(result.status).toBe('SUCCEEDED');
    expect(router.canaryProvisioned).toBe(50);
    expect(toReport(result).provisioned).toMatchObject({ status: 'left' });
  });

  it('says what it did and what it cost: in the progress lines, the result, and the report timeline', async () => {
    const router = aliasWithProvisioned();
    const deps = fakeDeps(router, trafficFor(router, 0.005));
    const lines: string[] = [];
    const events: Array<{ at: string; event: Parameters<typeof describeEvent>[0] }> = [];

    const result = await runLocal({
      input: input(),
      deps,
      virtualClock: deps.clock,
      onEvent: (event) => {
        events.push({ at: deps.clock.now().toISOString(), event });
        const line = describeEvent(event, { now: () => deps.clock.now() });
        if (line) lines.push(line);
      },
    });

    expect(lines.filter((l) => l.startsWith('provisioned concurrency'))).toEqual([
      'provisioned concurrency: 2 on version 2, IN_PROGRESS',
      'provisioned concurrency: 2 on version 2, IN_PROGRESS',
      'provisioned concurrency: 2 on version 2, READY',
    ]);
    const report = toReport(result);
    expect(provisionedLine(report)).toBe(
      `  provisioned concurrency: 2 on version 2 (10% of alias live's 20, the largest step's share), removed; ${report.provisioned?.hours} concurrency-hours`,
    );
    const timeline = buildTimeline(result.executionArn, fromLocalRun(events as never));
    const capacity = timeline.events.filter((e) => e.kind === 'capacity').map((e) => e.title);
    expect(capacity).toEqual([
      '2 provisioned concurrency on version 2: READY',
      `2 provisioned concurrency on version 2: removed, ${report.provisioned?.hours} concurrency-hours`,
    ]);
  });

  it('replays a release that names its provisioned concurrency without asking AWS for any', async () => {
    const metrics = new FakeMetrics((at) => steadyMinute(at, 1000, 0.1, 0.005, 0.005));
    const deps = fakeDeps(new FakeRouter(), metrics);
    const router = new RecordingRouter('1', '2', () => deps.clock.now());
    deps.router = () => router;

    const result = await runLocal({
      input: input({ provisionedConcurrency: 3 }),
      deps,
      virtualClock: deps.clock,
    });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.path).toContain('ProvisionCanary');
    expect(router.actions.map((a) => a.action)).toEqual(['set-weight', 'promote']);
    expect(toReport(result).provisioned).toMatchObject({ count: 3, status: 'removed' });
  });

  it('keeps a promotion whose removal keeps failing, and says what was left with the alarmed event', async () => {
    const router = aliasWithProvisioned();
    const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' });
    router.failures.unprovision = Array.from({ length: 20 }, throttled);
    const deps = fakeDeps(router, trafficFor(router, 0.005));

    const result = await runLocal({ input: input(), deps, virtualClock: deps.clock });

    expect(result.status).toBe('SUCCEEDED');
    expect(router.calls.filter((c) => c === 'promote')).toHaveLength(1);
    expect(router.calls).not.toContain('rollback');
    expect(toReport(result).provisioned).toMatchObject({
      status: 'READY',
      reason: expect.stringMatching(
        /^could not be removed \(TooManyRequestsException: Rate exceeded\); remove it by hand/,
      ),
    });
    const alarm = deps.events.published.find((e) => e.detailType === 'Canary Recovery Failed');
    expect(alarm?.detail.reason).toMatch(
      /the 2 provisioned concurrency fledge gave version 2 could not be removed/,
    );
    expect(router.canaryProvisioned).toBe(2);
  });

  describe("judging the canary's cold starts", () => {
    /** p99 as both sides: the canary's first minute of traffic has 60% slow requests, then as the baseline. */
    function slowFirstMinute(router: FakeRouter) {
      const metrics = new FakeMetrics((at) => {
        const m = steadyMinute(at, 1000, Math.max(router.weight, 10) / 100, 0.005, 0.005);
        const first = at.getTime() === T0.getTime();
        const slow = (share: number, n: number) => ({ samples: n, slow: Math.round(n * share) });
        return {
          ...m,
          latency: {
            p99: {
              canary: slow(first ? 0.6 : 0.01, m.canary.requests),
              baseline: slow(0.01, m.baseline.requests),
            },
          },
        };
      });
      metrics.stableStatistics = { p99: 120 };
      return metrics;
    }
    const withLatency = (provisionedConcurrency: string) => ({
      ...input({ provisionedConcurrency }),
      analysis: { latency: { statistics: ['p99'] } },
    });

    it('leaves out the latency of the minute a cold canary got traffic in, beside a warm alias', async () => {
      const router = new FakeRouter();
      router.provisioned = { stable: 20, canary: 0 };
      const deps = fakeDeps(router, slowFirstMinute(router));

      const result = await runLocal({ input: withLatency('off'), deps, virtualClock: deps.clock });

      expect(toReport(result)).toMatchObject({ outcome: 'promoted' });
      expect((result.output as { reason: string }).reason).not.toMatch(/latency is worse/);
    });

    it('counts every minute of a canary that was warmed first: its slow first minute is its own', async () => {
      const router = new FakeRouter();
      router.provisioned = { stable: 20, canary: 0 };
      const deps = fakeDeps(router, slowFirstMinute(router));

      const result = await runLocal({ input: withLatency('auto'), deps, virtualClock: deps.clock });

      const report = toReport(result);
      expect(report.outcome).toBe('rolled-back');
      expect(report.reason).toMatch(/canary p99 latency is worse than baseline's/);
      expect(router.calls.slice(-2)).toEqual(['rollback', 'unprovision']);
    });
  });
});

it('waits between two reads as long in the ASL as the wait-time budget counts (PROVISION_WAIT_SECONDS)', () => {
  const { definition } = loadDefinition();

  expect(definition.States.WaitForProvisioned).toMatchObject({
    Type: 'Wait',
    Seconds: PROVISION_WAIT_SECONDS,
  });
});

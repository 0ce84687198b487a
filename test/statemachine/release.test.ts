/**
 * A release on the real ASL, run by aws-local-stepfunctions with the real handlers and in-memory ports:
 * one router per target, each with its own metrics. The state machine keeps its shape: one task moves
 * every target, one check judges them all.
 */
import { describe, expect, it } from 'vitest';
import { type EventLog, runLocal } from '../../cli/local/runner';
import { chartOption } from '../../cli/reports/page/charts';
import { describeEvent, provisionedLine, toReport } from '../../cli/reports/progress';
import { LifecycleEventSchemas } from '../../shared/core/event-schemas';
import type { CountsQuery } from '../../shared/core/ports';
import type { ProvisionedStatus } from '../../shared/core/provisioned';
import type { Target } from '../../shared/core/schema';
import type { PairedMinute } from '../../shared/core/sequential-test';
import { fromLocalRun } from '../../shared/report/history';
import { buildTimeline } from '../../shared/report/timeline';
import type { RolloutState } from '../../shared/steps/rollout';
import { FakeMetrics, FakeRouter, fakeDeps, steadyMinute } from '../support/fakes';

const FUNCTIONS = ['checkout', 'cart', 'worker'] as const;

const releaseInput = (overrides: Record<string, unknown> = {}) => ({
  release: 'shop',
  targets: FUNCTIONS.map((fn) => ({ type: 'lambda-alias', functionName: fn, alias: 'live', version: '2' })),
  strategy: 'Linear10PercentEvery1Minute',
  ...overrides,
});

/** Each function's minutes follow its own router's live weight, at its own canary error rate. */
class PerTargetMetrics extends FakeMetrics {
  constructor(
    private readonly routers: Record<string, FakeRouter>,
    private readonly canaryRates: Record<string, number>,
  ) {
    super(() => undefined);
  }

  override async pairedMinutes(query: CountsQuery, window: { start: Date; end: Date }) {
    this.windows.push(window);
    const fn = String(query.canary.requests.dimensions?.FunctionName);
    const router = this.routers[fn] as FakeRouter;
    const out: PairedMinute[] = [];
    for (let t = window.start.getTime(); t < window.end.getTime(); t += 60_000) {
      out.push(
        steadyMinute(
          new Date(t),
          1000,
          Math.max(router.weight, 10) / 100,
          this.canaryRates[fn] ?? 0.005,
          0.005,
        ),
      );
    }
    return out;
  }
}

async function runRelease(
  options: {
    faulty?: string;
    setup?: (routers: Record<string, FakeRouter>) => void;
    run?: Partial<Parameters<typeof runLocal>[0]>;
    onDeps?: (deps: ReturnType<typeof fakeDeps>) => void;
    input?: unknown;
  } = {},
) {
  const routers = Object.fromEntries(FUNCTIONS.map((fn) => [fn, new FakeRouter()])) as Record<
    string,
    FakeRouter
  >;
  options.setup?.(routers);
  const rates = Object.fromEntries(FUNCTIONS.map((fn) => [fn, fn === options.faulty ? 0.05 : 0.005]));
  const metrics = new PerTargetMetrics(routers, rates);
  const base = fakeDeps(routers.checkout as FakeRouter, metrics);
  options.onDeps?.(base);
  const deps = {
    ...base,
    router: (target: Target) => routers[(target as { functionName: string }).functionName] as FakeRouter,
  };
  const result = await runLocal({
    input: options.input ?? releaseInput(),
    deps,
    virtualClock: base.clock,
    ...options.run,
  });
  return { result, report: toReport(result), routers, deps: base };
}

describe('a release on the canary state machine', () => {
  it('moves every target at every step, then promotes them all in the release order', async () => {
    const { result, report, routers, deps } = await runRelease();

    expect(result.status).toBe('SUCCEEDED');
    expect(report).toMatchObject({ outcome: 'promoted', weight: 100 });
    for (const fn of FUNCTIONS) {
      expect(routers[fn]?.calls).toEqual([
        ...[10, 20, 30, 40, 50, 60, 70, 80, 90].map((w) => `setWeight:${w}`),
        'promote',
      ]);
      expect(routers[fn]?.version).toBe('2');
    }
    const records = await Promise.all(FUNCTIONS.map((fn) => deps.records.get(`lambda-alias#${fn}#live`)));
    expect(records.map((r) => r?.status)).toEqual(['promoted', 'promoted', 'promoted']);
    expect(records.map((r) => r?.release?.name)).toEqual(['shop', 'shop', 'shop']);
    // One release id and every target in its events.
    const started = deps.events.published.find((e) => e.detailType === 'Canary Started');
    for (const event of deps.events.published) {
      const schema = LifecycleEventSchemas[event.detailType as 'Canary Started'];
      expect(schema.shape.release.safeParse(event.detail.release).success).toBe(true);
      expect(event.detail.release).toBeDefined();
    }
    expect(started?.detail.release).toMatchObject({
      name: 'shop',
      targets: FUNCTIONS.map((fn) => ({ label: `alias ${fn}:live (version 1 → 2)` })),
    });
  });

  it('rolls every target back as soon as one fails, the healthy ones included; none is promoted', async () => {
    const { result, report, routers } = await runRelease({ faulty: 'cart' });

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('fledge.RolledBack');
    expect(report.outcome).toBe('rolled-back');
    expect(report.reason).toMatch(/^cart:live: canary error rate is higher than baseline/);
    for (const fn of FUNCTIONS) {
      expect(routers[fn]?.calls.at(-1)).toBe('rollback');
      expect(routers[fn]?.calls).not.toContain('promote');
      expect(routers[fn]?.version).toBe('1');
      expect(routers[fn]?.weight).toBe(0);
    }
  });

  it('ends all old when promotion fails half-way: the promoted targets are rolled back too', async () => {
    const denied = () =>
      Object.assign(new Error('not authorized to perform lambda:UpdateAlias'), {
        name: 'AccessDeniedException',
      });
    const { result, report, routers } = await runRelease({
      setup: (r) => {
        (r.cart as FakeRouter).failures.promote = Array.from({ length: 20 }, denied);
      },
    });

    expect(result.error).toBe('fledge.RolledBack');
    expect(report.outcome).toBe('rolled-back');
    expect(report.reason).toMatch(/promoting the targets in order failed on cart:live/);
    expect(routers.checkout?.calls.slice(-2)).toEqual(['promote', 'rollback']);
    expect(routers.worker?.calls).not.toContain('promote');
    for (const fn of FUNCTIONS) expect(routers[fn]?.version).toBe('1');
  });

  it('ends RollbackFailed naming each target’s traffic when one target cannot be restored', async () => {
    const denied = () => Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
    const { result, report, routers } = await runRelease({
      faulty: 'worker',
      setup: (r) => {
        (r.cart as FakeRouter).failures.rollback = Array.from({ length: 40 }, denied);
      },
    });

    expect(result.error).toBe('fledge.RollbackFailed');
    expect(report.outcome).toBe('rollback-failed');
    expect(result.cause).toMatch(/checkout:live: rolled back/);
    expect(result.cause).toMatch(
      /cart:live: \d+% on the canary or the write's weight, unconfirmed \(AccessDeniedException\)/,
    );
    expect(result.cause).toMatch(/worker:live: rolled back/);
    expect(routers.checkout?.version).toBe('1');
    expect(routers.worker?.version).toBe('1');
    expect(routers.cart?.weight).toBeGreaterThan(0);
  });

  it('recovers every target of a release whose run was stopped mid-way', async () => {
    const stop = new AbortController();
    let checks = 0;
    const { result, routers, deps } = await runRelease({
      run: {
        signal: stop.signal,
        taskOverrides: {
          Evaluate: async (input, real) => {
            checks += 1;
            if (checks === 3) stop.abort();
            return real(input);
          },
        },
      },
    });

    expect(result.status).toBe('ABORTED');
    expect(result.recovery).toMatchObject({ action: 'rolled-back', weight: 0 });
    for (const fn of FUNCTIONS) {
      expect(result.recovery?.reason).toContain(`alias ${fn}:live (version 1 → 2): rolled-back`);
      expect(routers[fn]?.calls.at(-1)).toBe('rollback');
      expect(routers[fn]?.version).toBe('1');
    }
    const records = await Promise.all(FUNCTIONS.map((fn) => deps.records.get(`lambda-alias#${fn}#live`)));
    expect(records.map((r) => r?.status)).toEqual(['rolled-back', 'rolled-back', 'rolled-back']);
  });

  it('draws the report with a row of panels per target, each on its own minutes', async () => {
    const events: Array<{ at: string; event: EventLog }> = [];
    let clock: { now(): Date } | undefined;
    const { result, deps } = await runRelease({
      faulty: 'worker',
      run: { onEvent: (event) => events.push({ at: (clock as { now(): Date }).now().toISOString(), event }) },
      onDeps: (d) => {
        clock = d.clock;
      },
    });

    const timeline = buildTimeline(result.executionArn, fromLocalRun(events as never));
    const titles = (chartOption(timeline).yAxis as Array<{ name: string }>).map((a) => a.name);

    expect(deps.clock).toBe(clock);
    expect(timeline.title).toBe('release shop (checkout:live, cart:live, worker:live)');
    expect(timeline.targets?.map((t) => t.title)).toEqual(
      FUNCTIONS.map((fn) => `alias ${fn}:live (version 1 → 2)`),
    );
    for (const target of timeline.targets ?? []) expect(target.minutes.length).toBeGreaterThan(0);
    // The faulty target's minutes are its own: its canary errs ten times as often as the others (per minute rounded)..
    const canaryErrors = (timeline.targets ?? []).map((t) =>
      t.minutes.reduce((n, m) => n + m.canary.errors, 0),
    );
    expect(canaryErrors[2]).toBeGreaterThan(3 * Math.max(canaryErrors[0] ?? 0, canaryErrors[1] ?? 0, 1));
    expect(titles).toEqual(
      expect.arrayContaining(
        FUNCTIONS.flatMap((fn) => [
          `alias ${fn}:live (version 1 → 2): error rate per minute (%)`,
          `alias ${fn}:live (version 1 → 2): requests per minute (stacked)`,
        ]),
      ),
    );
  });

  it('runs a release a deploy event names, claiming the event once', async () => {
    const event = {
      id: 'deploy-7',
      source: 'my.ci',
      'detail-type': 'Canary Release Requested',
      detail: releaseInput(),
    };

    const { result, routers, deps } = await runRelease({ input: event });

    expect(result.status).toBe('SUCCEEDED');
    for (const fn of FUNCTIONS) expect(routers[fn]?.version).toBe('2');
    const started = deps.events.published.find((e) => e.detailType === 'Canary Started');
    expect(started?.detail.trigger).toEqual({ source: 'deploy-event', eventId: 'deploy-7' });
    expect(started?.detail.release).toMatchObject({ name: 'shop' });
  });

  describe('with provisioned concurrency on two of its aliases', () => {
    /** checkout and cart have 20 on their alias (READY after three and two reads); worker has none. */
    const warm = (cartStatuses: ProvisionedStatus[] = ['IN_PROGRESS', 'READY']) => ({
      setup: (r: Record<string, FakeRouter>) => {
        for (const fn of ['checkout', 'cart']) (r[fn] as FakeRouter).provisioned = { stable: 20, canary: 0 };
        (r.checkout as FakeRouter).provisionStatuses = ['IN_PROGRESS', 'IN_PROGRESS', 'READY'];
        (r.cart as FakeRouter).provisionStatuses = cartStatuses;
      },
    });

    it('warms every PC canary to READY before any target moves, and removes it after promotion', async () => {
      const events: Array<{ at: string; event: EventLog }> = [];
      const lines: string[] = [];
      let clock: { now(): Date } | undefined;
      const { result, report, routers, deps } = await runRelease({
        ...warm(),
        run: {
          onEvent: (event) => {
            events.push({ at: (clock as { now(): Date }).now().toISOString(), event });
            const line = describeEvent(event, { now: () => (clock as { now(): Date }).now() });
            if (line?.startsWith('provisioned concurrency')) lines.push(line);
          },
        },
        onDeps: (d) => {
          clock = d.clock;
        },
      });

      expect(result.status).toBe('SUCCEEDED');
      // Linear10PercentEvery1Minute's largest step is 90%: 18 of the alias's 20. A READY target is not
      // read again while the other warms; no target moves until both are READY.
      expect(routers.checkout?.calls.slice(0, 4)).toEqual([
        'provision:18:IN_PROGRESS',
        'provision:18:IN_PROGRESS',
        'provision:18:READY',
        'setWeight:10',
      ]);
      expect(routers.cart?.calls.slice(0, 3)).toEqual([
        'provision:18:IN_PROGRESS',
        'provision:18:READY',
        'setWeight:10',
      ]);
      expect(routers.worker?.calls[0]).toBe('setWeight:10');
      for (const fn of ['checkout', 'cart'])
        expect(routers[fn]?.calls.slice(-2)).toEqual(['promote', 'unprovision']);
      expect(routers.worker?.calls).not.toContain('unprovision');
      expect(result.path.filter((s) => s === 'WaitForProvisioned')).toHaveLength(2);
      expect(report.release?.provisioned?.map((p) => [p.target, p.count, p.status])).toEqual([
        ['checkout:live', 18, 'removed'],
        ['cart:live', 18, 'removed'],
      ]);
      expect(report.release?.provisioned?.every((p) => p.hours > 0)).toBe(true);
      const promoted = deps.events.published.find((e) => e.detailType === 'Canary Promoted');
      expect(promoted?.detail.release).toMatchObject({ provisioned: report.release?.provisioned });
      expect(
        LifecycleEventSchemas['Canary Promoted'].shape.release.safeParse(promoted?.detail.release).error,
      ).toBeUndefined();
      expect(lines).toEqual([
        'provisioned concurrency: checkout:live 18 on version 2, IN_PROGRESS; cart:live 18 on version 2, IN_PROGRESS',
        'provisioned concurrency: checkout:live 18 on version 2, IN_PROGRESS; cart:live 18 on version 2, READY',
        'provisioned concurrency: checkout:live 18 on version 2, READY; cart:live 18 on version 2, READY',
      ]);
      expect(provisionedLine(report)?.split('\n')).toEqual(
        (report.release?.provisioned ?? []).map(
          (p) =>
            `  provisioned concurrency: ${p.target}: 18 on version 2 (90% of alias live's 20, the largest step's share), removed; ${p.hours} concurrency-hours`,
        ),
      );
      const records = await Promise.all(FUNCTIONS.map((fn) => deps.records.get(`lambda-alias#${fn}#live`)));
      expect(records.map((r) => r?.provisioned?.status)).toEqual(['removed', 'removed', undefined]);
      const titles = buildTimeline(result.executionArn, fromLocalRun(events as never)).events.map(
        (e) => e.title,
      );
      expect(titles).toEqual(
        expect.arrayContaining([
          'checkout:live: 18 provisioned concurrency on version 2: READY',
          'cart:live: 18 provisioned concurrency on version 2: READY',
          expect.stringMatching(
            /^checkout:live: 18 provisioned concurrency on version 2: removed, [\d.]+ concurrency-hours$/,
          ),
          expect.stringMatching(/^cart:live: 18 provisioned concurrency on version 2: removed, /),
        ]),
      );
    });

    it('rolls every target back and removes every PC when one target is faulty', async () => {
      const { result, report, routers, deps } = await runRelease({ ...warm(), faulty: 'worker' });

      expect(result.error).toBe('fledge.RolledBack');
      expect(report.reason).toMatch(/^worker:live: /);
      for (const fn of FUNCTIONS) expect(routers[fn]?.version).toBe('1');
      for (const fn of ['checkout', 'cart'])
        expect(routers[fn]?.calls.slice(-2)).toEqual(['rollback', 'unprovision']);
      expect(report.release?.provisioned?.map((p) => p.status)).toEqual(['removed', 'removed']);
      const rolledBack = deps.events.published.find((e) => e.detailType === 'Canary Rolled Back');
      expect(rolledBack?.detail.release).toMatchObject({ provisioned: report.release?.provisioned });
      expect(
        LifecycleEventSchemas['Canary Rolled Back'].shape.release.safeParse(rolledBack?.detail.release).error,
      ).toBeUndefined();
    });

    it('moves no target when one PC canary FAILED, and frees the other one’s too', async () => {
      const { result, report, routers, deps } = await runRelease(warm(['IN_PROGRESS', 'FAILED']));

      expect(result.error).toBe('fledge.RolledBack');
      expect(report.reason).toMatch(
        /^provisioned concurrency failed for cart:live version 2 \(FUNCTION_ERROR_INIT_FAILURE\); no traffic had moved$/,
      );
      expect(report.checks).toBe(0);
      for (const fn of FUNCTIONS) {
        expect(routers[fn]?.calls.filter((c) => c.startsWith('setWeight') || c === 'promote')).toEqual([]);
        expect(routers[fn]?.weight).toBe(0);
      }
      // checkout was still IN_PROGRESS when cart FAILED: asked for, so removed too.
      expect(routers.checkout?.calls).toEqual([
        'provision:18:IN_PROGRESS',
        'provision:18:IN_PROGRESS',
        'rollback',
        'unprovision',
      ]);
      expect(routers.cart?.calls.at(-1)).toBe('unprovision');
      const records = await Promise.all(FUNCTIONS.map((fn) => deps.records.get(`lambda-alias#${fn}#live`)));
      expect(records.map((r) => [r?.status, r?.provisioned?.status])).toEqual([
        ['rolled-back', 'removed'],
        ['rolled-back', 'removed'],
        ['rolled-back', undefined],
      ]);
    });

    it('removes every PC canary when the run is stopped, mid-bake or while one still warms', async () => {
      for (const stopAt of ['Evaluate', 'ProvisionCanary'] as const) {
        const stop = new AbortController();
        let calls = 0;
        const { result, routers, deps } = await runRelease({
          ...warm(),
          run: {
            signal: stop.signal,
            taskOverrides: {
              [stopAt]: async (input: unknown, real: (input: unknown) => Promise<unknown>) => {
                calls += 1;
                if (calls === 2) stop.abort();
                return real(input);
              },
            },
          },
        });

        expect(result.status, stopAt).toBe('ABORTED');
        for (const fn of ['checkout', 'cart'])
          expect(routers[fn]?.calls.at(-1), `${stopAt} ${fn}`).toBe('unprovision');
        expect(routers.worker?.calls, stopAt).not.toContain('unprovision');
        const records = await Promise.all(FUNCTIONS.map((fn) => deps.records.get(`lambda-alias#${fn}#live`)));
        expect(
          records.map((r) => r?.provisioned?.status),
          stopAt,
        ).toEqual(['removed', 'removed', undefined]);
        for (const fn of FUNCTIONS) expect(routers[fn]?.weight, `${stopAt} ${fn}`).toBe(0);
      }
    });

    it('judges a cold canary beside a warm alias as a single rollout does: its cold minutes kept apart', async () => {
      const input = releaseInput({
        targets: FUNCTIONS.map((fn) => ({
          type: 'lambda-alias',
          functionName: fn,
          alias: 'live',
          version: '2',
          ...(fn === 'worker' ? { provisionedConcurrency: 'off' } : {}),
        })),
      });

      let last: RolloutState | undefined;
      const { result, routers } = await runRelease({
        input,
        setup: (r) => {
          (r.worker as FakeRouter).provisioned = { stable: 20, canary: 0 };
        },
        run: {
          taskOverrides: {
            SetWeight: async (taskInput, real) => {
              last = (await real(taskInput)) as RolloutState;
              return last;
            },
          },
        },
      });

      expect(result.status).toBe('SUCCEEDED');
      expect(routers.worker?.calls).not.toContain('provision:18:READY');
      expect(routers.worker?.calls).not.toContain('unprovision');
      // worker's canary runs on demand beside its alias's 20: the minute of each of its nine weight
      // rises is left out of its latency comparison; the other two are both warm (none provisioned).
      const cold = last?.release?.members.map((m) => m.coldCanary?.minutes.length);
      expect(cold).toEqual([undefined, undefined, 9]);
      expect(last?.release?.capacity).toBeUndefined();
    });
  });
});

/**
 * CodePipeline's Step Functions invoke action starts the state machine with its Input (InputType Literal) or
 * the contents of a file in an input artifact (InputType FilePath) as the execution's input, a JSON string;
 * the action succeeds when the execution SUCCEEDS (its output becomes the output artifact) and fails otherwise.
 */
describe('a release CodePipeline starts', () => {
  /** The action's Input, or its input artifact's file, is the execution's input: a JSON text, parsed as Step Functions does. */
  const asCodePipelinePasses = (input: unknown) => JSON.parse(JSON.stringify(input, null, 2)) as unknown;
  const targetLabels = FUNCTIONS.map((fn) => `alias ${fn}:live (version 1 → 2)`);

  it("SUCCEEDS when promoted, its output (the action's output artifact) naming every target", async () => {
    const { result, routers } = await runRelease({ input: asCodePipelinePasses(releaseInput()) });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({
      outcome: 'promoted',
      weight: 100,
      release: { name: 'shop', targets: targetLabels },
      canary: 'checkout:live: 2, cart:live: 2, worker:live: 2',
    });
    for (const fn of FUNCTIONS) expect(routers[fn]?.version).toBe('2');
  });

  it('FAILS when rolled back, so the stage is red, the cause naming every target', async () => {
    const { result, routers } = await runRelease({
      faulty: 'cart',
      input: asCodePipelinePasses(releaseInput()),
    });

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('fledge.RolledBack');
    expect(JSON.parse(String(result.cause))).toMatchObject({
      outcome: 'rolled-back',
      weight: 0,
      reason: expect.stringMatching(/^cart:live: /),
      release: { name: 'shop', targets: targetLabels },
    });
    for (const fn of FUNCTIONS) expect(routers[fn]?.version).toBe('1');
  });
});

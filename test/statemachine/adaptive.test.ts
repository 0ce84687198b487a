/**
 * The adaptive ramp through the real ASL and handlers: SetWeight applies the rung the decision chose,
 * the same states loop, a healthy canary is promoted from the rung where its evidence came in, and a
 * failing one is rolled back before it climbs far.
 */
import { describe, expect, it } from 'vitest';
import { runLocal } from '../../cli/local/runner';
import { recordRun } from '../../cli/reports/html';
import { toReport } from '../../cli/reports/progress';
import type { RequestChange } from '../../shared/core/ports';
import { resolveStrategy } from '../../shared/core/strategy';
import type { RolloutState } from '../../shared/steps/rollout';
import {
  type FakeDeps,
  FakeMetrics,
  FakeRouter,
  fakeDeps,
  operatorCommand,
  steadyMinute,
} from '../support/fakes';

const input = {
  target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
  strategy: 'Adaptive',
};
const RAMP = resolveStrategy('Adaptive').map((s) => s.weight);

function world(canaryRate: number, rpm = 5000) {
  const router = new FakeRouter();
  const metrics = new FakeMetrics((at) =>
    steadyMinute(at, rpm, Math.max(router.weight, 1) / 100, canaryRate, 0.005),
  );
  return { router, metrics, deps: fakeDeps(router, metrics) };
}

type World = ReturnType<typeof world>;
type Overrides = Parameters<typeof runLocal>[0]['taskOverrides'];

const weightsOf = (router: FakeRouter) =>
  router.calls.flatMap((c) => (c.startsWith('setWeight:') ? [Number(c.slice(10))] : []));

async function run(
  canaryRate: number,
  options: {
    given?: Record<string, unknown>;
    setup?: World;
    taskOverrides?: (deps: FakeDeps) => Overrides;
    invoke?: (functionName: string, payload: unknown) => Promise<unknown>;
  } = {},
) {
  const { router, deps } = options.setup ?? world(canaryRate);
  const result = await runLocal({
    input: { ...input, ...options.given },
    deps,
    virtualClock: deps.clock,
    ...(options.taskOverrides ? { taskOverrides: options.taskOverrides(deps) } : {}),
    ...(options.invoke ? { invoke: options.invoke } : {}),
  });
  return { result, report: toReport(result), router, weights: weightsOf(router) };
}

const command = operatorCommand;

/** Leaves `request(weight)` beside the record before each check, as the operator commands do. */
const requestAt =
  (request: (weight: number, check: number) => RequestChange | undefined, router: FakeRouter) =>
  (deps: FakeDeps): Overrides => {
    let checks = 0;
    return {
      Evaluate: async (taskInput, real) => {
        checks += 1;
        const rollout = (taskInput as { rollout: RolloutState }).rollout;
        const change = request(router.weight, checks);
        if (change) await deps.records.request(rollout.record.key, rollout.record.owner, change);
        return real(taskInput);
      },
    };
  };

describe('the adaptive ramp in the state machine', () => {
  it('climbs its rungs in order and promotes a healthy canary once shown safe', async () => {
    const { result, report, router, weights } = await run(0.005);

    expect(result.status).toBe('SUCCEEDED');
    expect(report).toMatchObject({ outcome: 'promoted', weight: 100 });
    expect(weights).toEqual(RAMP.slice(0, weights.length));
    expect(weights[0]).toBe(8);
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

  it('rolls back when an alarm goes into ALARM mid-ramp, and climbs no further', async () => {
    const setup = world(0.005);
    setup.metrics.existingAlarms = ['checkout-p99'];
    const { report, router, weights } = await run(0.005, {
      setup,
      given: { analysis: { alarms: ['checkout-p99'] } },
      taskOverrides: () => ({
        SetWeight: async (taskInput, real) => {
          const out = await real(taskInput);
          if (setup.router.weight >= 10) setup.metrics.alarms = ['checkout-p99'];
          return out;
        },
      }),
    });

    expect(report).toMatchObject({ outcome: 'rolled-back', reason: 'alarm in ALARM: checkout-p99' });
    expect(weights).toEqual([RAMP[0], RAMP[1]]);
    expect(router.calls.at(-1)).toBe('rollback');
    expect(router.weight).toBe(0);
  });

  it('holds an early promotion at gates.beforePromotion until approved, then promotes', async () => {
    const setup = world(0.005);
    let waited = 0;
    const { report, router, weights } = await run(0.005, {
      setup,
      given: { gates: { beforePromotion: true } },
      taskOverrides: (deps) => ({
        Evaluate: async (taskInput, real) => {
          const rollout = (taskInput as { rollout: RolloutState }).rollout;
          if ((await deps.records.get(rollout.record.key))?.gate?.id === 'promotion') waited += 1;
          if (waited === 2)
            await deps.records.request(rollout.record.key, rollout.record.owner, command('approve'));
          return real(taskInput);
        },
      }),
    });

    expect(report).toMatchObject({
      outcome: 'promoted',
      reason: expect.stringMatching(/^promotion approved by /),
    });
    expect(waited).toBe(2);
    // The evidence came in below the top rung, and the gate held the promotion there.
    expect(weights.length).toBeLessThan(RAMP.length);
    expect(router.calls.at(-1)).toBe('promote');
  });

  it('pause holds the ramp on its rung while checks go on; resume climbs on', async () => {
    const setup = world(0.005);
    const pause: RequestChange = {
      pause: { since: '2026-11-02T10:02:00.000Z', by: 'ops', reason: 'watching a dashboard' },
    };
    let weightAtPause = 0;
    const heldAt: number[] = [];
    const { report, weights } = await run(0.005, {
      setup,
      given: { gates: { maxPauseMinutes: 30 } },
      taskOverrides: requestAt((weight, check) => {
        if (weight === RAMP[1] && weightAtPause === 0) {
          weightAtPause = weight;
          return pause;
        }
        if (weightAtPause && check <= 20) heldAt.push(weight);
        return check === 20 ? { resume: true } : undefined;
      }, setup.router),
    });

    expect(report.outcome).toBe('promoted');
    // Every check between the pause and the resume found the canary still on the 24% rung.
    expect(heldAt.length).toBeGreaterThan(5);
    expect(new Set(heldAt)).toEqual(new Set([RAMP[1]]));
    expect(weights).toEqual(RAMP.slice(0, weights.length));
  });

  it('promote mid-ramp promotes from the rung at once when the check does not fail', async () => {
    const setup = world(0.005);
    const { report, router, weights } = await run(0.005, {
      setup,
      taskOverrides: requestAt(
        (weight) => (weight === RAMP[1] ? command('promote') : undefined),
        setup.router,
      ),
    });

    expect(report).toMatchObject({ outcome: 'promoted', forced: { action: 'promote', command: 'promote' } });
    expect(weights).toEqual([RAMP[0], RAMP[1]]);
    expect(router.calls.at(-1)).toBe('promote');
  });

  it('abort mid-ramp rolls back at the next check, saying who and why', async () => {
    const setup = world(0.005);
    const { report, router, weights } = await run(0.005, {
      setup,
      taskOverrides: requestAt((weight) => (weight === RAMP[1] ? command('abort') : undefined), setup.router),
    });

    expect(report).toMatchObject({
      outcome: 'rolled-back',
      reason: 'aborted by arn:aws:iam::123456789012:user/ops: abort by the test',
      forced: { action: 'rollback', command: 'abort' },
    });
    expect(weights).toEqual([RAMP[0], RAMP[1]]);
    expect(router.weight).toBe(0);
  });

  it('runs the beforeAllowTraffic hook before the first rung, and moves no traffic when it fails', async () => {
    const order: string[] = [];
    const passing = world(0.005);
    const ok = await run(0.005, {
      setup: passing,
      given: { hooks: { beforeAllowTraffic: 'smoke-test' } },
      invoke: async (name) => {
        order.push(`hook:${name}:${passing.router.calls.length}`);
        return { status: 'Succeeded' };
      },
    });
    const failed = await run(0.005, {
      given: { hooks: { beforeAllowTraffic: 'smoke-test' } },
      invoke: async () => ({ status: 'Failed' }),
    });

    expect(order).toEqual(['hook:smoke-test:0']);
    expect(ok.report.outcome).toBe('promoted');
    expect(ok.weights[0]).toBe(8);
    expect(failed.report.outcome).toBe('rolled-back');
    expect(failed.weights).toEqual([]);
    expect(failed.router.weight).toBe(0);
  });

  it("the report's timeline shows the ramp's weights, rung by rung, and the promotion", async () => {
    const { router, deps } = world(0.005);
    const recorder = recordRun(deps.clock);

    await runLocal({ input, deps, virtualClock: deps.clock, onEvent: recorder.onEvent });
    const timeline = recorder.timeline('adaptive');

    const rungs = weightsOf(router);
    expect(timeline.status).toBe('promoted');
    expect(timeline.weights.map((w) => [w.label, w.weight])).toEqual([
      ['start', 0],
      ...rungs.map((weight, i) => [`step ${i + 1}/${RAMP.length}`, weight]),
      ['promoted', 100],
    ]);
  });
});

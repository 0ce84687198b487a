/**
 * Operators through the real state machine: requests left beside the rollout record (as `fledge abort`,
 * `promote`, `pause`, `resume`, `approve` and `reject` leave them) are applied by the next check, and
 * each rollout ends with the right traffic and an outcome that says who forced it and why.
 */
import { describe, expect, it } from 'vitest';
import { runLocal } from '../../cli/local/runner';
import { describeEvent, toReport } from '../../cli/reports/progress';
import type { RequestChange } from '../../shared/core/ports';
import type { RolloutState } from '../../shared/steps/rollout';
import {
  type FakeDeps,
  FakeMetrics,
  FakeRouter,
  fakeDeps,
  operatorCommand,
  steadyMinute,
} from '../support/fakes';

const target = { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' };

function world(canaryRate = 0.005) {
  const router = new FakeRouter();
  const metrics = new FakeMetrics((at) =>
    steadyMinute(at, 1000, Math.max(router.weight, 10) / 100, canaryRate, 0.005),
  );
  return { router, deps: fakeDeps(router, metrics) };
}

const command = operatorCommand;

/** Runs a rollout, leaving `requests[n]` beside the record just before check n runs. */
async function run(input: Record<string, unknown>, requests: Record<number, RequestChange>, setup = world()) {
  const { deps, router } = setup;
  let checks = 0;
  const result = await runLocal({
    input,
    deps,
    virtualClock: deps.clock,
    taskOverrides: {
      Evaluate: async (taskInput, real) => {
        checks += 1;
        const rollout = (taskInput as { rollout: RolloutState }).rollout;
        const request = requests[checks];
        if (request) await deps.records.request(rollout.record.key, rollout.record.owner, request);
        return real(taskInput);
      },
    },
  });
  return { result, report: toReport(result), router, deps, checks: () => checks };
}

const events = (deps: FakeDeps, type: string) =>
  deps.events.published.filter((e) => e.detailType === type).map((e) => e.detail);

describe('operators', () => {
  it('abort rolls back at the next check, mid-bake, saying who and why', async () => {
    const { report, router, deps } = await run(
      { target, strategy: 'Canary10Percent30Minutes' },
      { 3: command('abort') },
    );

    expect(report).toMatchObject({
      outcome: 'rolled-back',
      reason: 'aborted by arn:aws:iam::123456789012:user/ops: abort by the test',
      forced: { action: 'rollback', command: 'abort', by: 'arn:aws:iam::123456789012:user/ops' },
      checks: 3,
    });
    expect(router.calls).toEqual(['setWeight:10', 'rollback']);
    expect(events(deps, 'Canary Rolled Back')[0]).toMatchObject({ forced: { command: 'abort' } });
    expect(await deps.records.requests('lambda-alias#checkout#live')).toEqual({});
  });

  it('abort during the beforeAllowTraffic hook rolls back without moving any traffic to the canary', async () => {
    const { router, deps } = world();
    const key = 'lambda-alias#checkout#live';

    const result = await runLocal({
      input: { target, strategy: 'Canary10Percent30Minutes', hooks: { beforeAllowTraffic: 'smoke-test' } },
      deps,
      virtualClock: deps.clock,
      invoke: async () => {
        const record = await deps.records.get(key);
        if (record) await deps.records.request(key, record.owner, command('abort'));
        return { status: 'Succeeded' };
      },
    });

    expect(toReport(result)).toMatchObject({
      outcome: 'rolled-back',
      reason: 'aborted by arn:aws:iam::123456789012:user/ops: abort by the test',
      forced: { command: 'abort' },
    });
    expect(router.calls.filter((c) => c.startsWith('setWeight'))).toEqual([]);
    expect(router.weight).toBe(0);
  });

  it('promote skips the remaining steps and promotes at once when the check does not fail', async () => {
    const { report, router } = await run(
      { target, strategy: 'Linear10PercentEvery3Minutes' },
      { 2: command('promote') },
    );

    expect(report).toMatchObject({
      outcome: 'promoted',
      reason: expect.stringMatching(
        /^promoted early by arn:aws:iam::123456789012:user\/ops, the check not failing: promote by the test$/,
      ),
      forced: { action: 'promote', command: 'promote' },
    });
    expect(router.calls).toEqual(['setWeight:10', 'promote']);
  });

  it('promote does not override a failing check, but --skip-analysis does', async () => {
    const failing = await run(
      { target, strategy: 'Canary10Percent30Minutes' },
      { 4: command('promote') },
      world(0.1),
    );
    const forced = await run(
      { target, strategy: 'Canary10Percent30Minutes' },
      // The first check reads the first complete minute (cadence.ts), and fails without the command.
      { 1: command('promote', { skipAnalysis: true }) },
      world(0.1),
    );

    expect(failing.report.outcome).toBe('rolled-back');
    expect(failing.router.calls).not.toContain('promote');
    expect(forced.report).toMatchObject({
      outcome: 'promoted',
      reason: expect.stringMatching(/^promoted by .* analysis skipped/),
      forced: { skipAnalysis: true },
    });
  });

  it('pause holds at the current weight while checks go on; resume goes on', async () => {
    const pause: RequestChange = {
      pause: { since: '2026-11-02T10:02:00.000Z', by: 'ops', reason: 'watching a dashboard' },
    };
    const { report, router, checks } = await run(
      { target, strategy: 'Linear10PercentEvery1Minute', gates: { maxPauseMinutes: 30 } },
      { 2: pause, 12: { resume: true } },
    );

    expect(report.outcome).toBe('promoted');
    // Held at its weight through checks 2-11, then on: the weights only moved after the resume.
    expect(router.calls.slice(0, 3)).toEqual(['setWeight:10', 'setWeight:20', 'setWeight:30']);
    // Ten checks held (2-11), and at least one for each of the schedule's ten steps.
    expect(checks()).toBeGreaterThanOrEqual(20);
  });

  it('every check while paused says so (by whom, since when, why) and that the bake goes on', async () => {
    const pause: RequestChange = {
      pause: { since: '2026-11-02T10:02:00.000Z', by: 'ops', reason: 'watching a dashboard' },
    };
    const setup = world();
    const lines: string[] = [];
    let checks = 0;
    const result = await runLocal({
      input: { target, strategy: 'Canary10Percent30Minutes', gates: { maxPauseMinutes: 30 } },
      deps: setup.deps,
      virtualClock: setup.deps.clock,
      onEvent: (event) => {
        if (event.type === 'StateExited' && event.state.name === 'Evaluate') {
          const line = describeEvent(event, { now: () => setup.deps.clock.now() });
          if (line) lines.push(line);
        }
      },
      taskOverrides: {
        Evaluate: async (taskInput, real) => {
          checks += 1;
          const rollout = (taskInput as { rollout: RolloutState }).rollout;
          const request = { 2: pause, 6: { resume: true } as RequestChange }[checks];
          if (request) await setup.deps.records.request(rollout.record.key, rollout.record.owner, request);
          return real(taskInput);
        },
      },
    });

    expect(toReport(result).outcome).toBe('promoted');
    // Checks 2-5 ran while paused, mid-bake: each says so; the others do not.
    const paused = lines.map((line) => /paused by ops since 2026-11-02T10:02:00.000Z/.test(line));
    expect(paused.slice(0, 6)).toEqual([false, true, true, true, true, false]);
    for (const line of lines.slice(1, 5)) {
      expect(line).toMatch(
        /→ hold: .*\(paused by ops since 2026-11-02T10:02:00.000Z: watching a dashboard; the bake goes on, and the rollout holds at this step once it is done, until `fledge resume`\)$/,
      );
    }
  });

  it('a pause longer than gates.maxPauseMinutes rolls back', async () => {
    const pause: RequestChange = { pause: { since: '2026-11-02T10:02:00.000Z', by: 'ops', reason: 'lunch' } };

    const { report } = await run(
      { target, strategy: 'Linear10PercentEvery1Minute', gates: { maxPauseMinutes: 10 } },
      { 2: pause },
    );

    expect(report).toMatchObject({
      outcome: 'rolled-back',
      reason: 'paused by ops for more than gates.maxPauseMinutes (10); rolled back',
      forced: { command: 'pause' },
    });
  });

  it('pauses add up against gates.maxPauseMinutes: pausing again and again cannot outlast the time limit', async () => {
    // Each pause holds about 6 minutes, under the 10 allowed; the second brings the total past them.
    const pause = (since: string): RequestChange => ({ pause: { since, by: 'ops', reason: 'again' } });
    const { report, deps } = await run(
      { target, strategy: 'Linear10PercentEvery1Minute', gates: { maxPauseMinutes: 10 } },
      {
        2: pause('2026-11-02T10:02:00.000Z'),
        8: { resume: true },
        10: pause('2026-11-02T10:10:00.000Z'),
        16: { resume: true },
        18: pause('2026-11-02T10:18:00.000Z'),
        24: { resume: true },
      },
    );

    expect(report).toMatchObject({
      outcome: 'rolled-back',
      reason: expect.stringMatching(
        /^paused by ops for more than gates\.maxPauseMinutes \(10\) in all \(\d+ minute\(s\) of it in earlier pauses\); rolled back$/,
      ),
      forced: { command: 'pause' },
    });
    expect((await deps.records.get('lambda-alias#checkout#live'))?.pausedMinutes).toBeGreaterThanOrEqual(10);
  });

  it('a failing check rolls back a paused rollout', async () => {
    const pause: RequestChange = { pause: { since: '2026-11-02T10:00:00.000Z', by: 'ops', reason: 'hold' } };

    const { report } = await run({ target, strategy: 'Canary10Percent30Minutes' }, { 1: pause }, world(0.1));

    expect(report.outcome).toBe('rolled-back');
    expect(report.reason).toMatch(/canary error rate is higher/);
  });

  describe('approval gates', () => {
    const gated = {
      target,
      strategy: {
        steps: [
          { weight: 10, bakeMinutes: 2, approve: true },
          { weight: 50, bakeMinutes: 2 },
        ],
      },
    };

    it('hold after a step until approved, checks going on, then go on', async () => {
      const setup = world();
      let waited = 0;
      setup.deps.events.published.length = 0;
      const { deps } = setup;
      const result = await runLocal({
        input: gated,
        deps,
        virtualClock: deps.clock,
        taskOverrides: {
          Evaluate: async (taskInput, real) => {
            const rollout = (taskInput as { rollout: RolloutState }).rollout;
            const record = await deps.records.get(rollout.record.key);
            if (record?.gate) waited += 1;
            if (waited === 3)
              await deps.records.request(rollout.record.key, rollout.record.owner, command('approve'));
            return real(taskInput);
          },
        },
      });

      expect(toReport(result).outcome).toBe('promoted');
      expect(waited).toBe(3);
      expect(setup.router.calls).toEqual(['setWeight:10', 'setWeight:50', 'promote']);
    });

    it('roll back when rejected', async () => {
      const { report, router } = await run(gated, { 9: command('reject') });

      expect(report).toMatchObject({
        outcome: 'rolled-back',
        reason: expect.stringMatching(/^step 1 rejected by /),
      });
      expect(router.calls).toEqual(['setWeight:10', 'rollback']);
    });

    it('roll back when nobody approves in time, or go on when configured to', async () => {
      const timedOut = await run({ ...gated, gates: { approvalTimeoutMinutes: 5 } }, {});
      const goesOn = await run(
        { ...gated, gates: { approvalTimeoutMinutes: 5, onApprovalTimeout: 'continue' } },
        {},
      );

      expect(timedOut.report).toMatchObject({
        outcome: 'rolled-back',
        reason: 'step 1 not approved within gates.approvalTimeoutMinutes (5); rolled back',
        forced: { command: 'gate-timeout' },
      });
      expect(goesOn.report.outcome).toBe('promoted');
    });

    it('gate the promotion with gates.beforePromotion', async () => {
      const { deps, router } = world();
      const result = await runLocal({
        input: { target, strategy: 'Canary10Percent5Minutes', gates: { beforePromotion: true } },
        deps,
        virtualClock: deps.clock,
        taskOverrides: {
          Evaluate: async (taskInput, real) => {
            const rollout = (taskInput as { rollout: RolloutState }).rollout;
            if ((await deps.records.get(rollout.record.key))?.gate?.id === 'promotion') {
              await deps.records.request(rollout.record.key, rollout.record.owner, command('approve'));
            }
            return real(taskInput);
          },
        },
      });

      expect(toReport(result)).toMatchObject({
        outcome: 'promoted',
        reason: expect.stringMatching(/^promotion approved by /),
      });
      expect(router.calls).toEqual(['setWeight:10', 'promote']);
    });
  });
});

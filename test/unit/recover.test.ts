import { describe, expect, it } from 'vitest';
import { planRecovery } from '../../cli/local/recover';
import { type ExecutionState, LEASE_SECONDS } from '../../shared/core/record';
import type { Target } from '../../shared/core/schema';
import { TASK_SETTLE_SECONDS } from '../../shared/lambda/timeouts';
import type { Deps } from '../../shared/steps/deps';
import { plan } from '../../shared/steps/plan';
import { type RecoveryEvent, recoverEvent } from '../../shared/steps/recover';
import { promote, type RolloutState, setWeight } from '../../shared/steps/rollout';
import { FakeMetrics, FakeRouter, fakeDeps, T0 } from '../support/fakes';

const release = (functionName: string, extra: Record<string, unknown> = {}) => ({
  target: { type: 'lambda-alias', functionName, alias: 'live', version: '2' },
  strategy: { steps: [{ weight: 30, bakeMinutes: 5 }] },
  ...extra,
});

const SWEEP: RecoveryEvent = { 'detail-type': 'Scheduled Event' };

/** The status change Step Functions puts on the bus when an execution ends. */
const statusChange = (executionArn: string, ended: ExecutionState): RecoveryEvent => ({
  'detail-type': 'Step Functions Execution Status Change',
  detail: {
    executionArn,
    status: ended.status,
    error: ended.error ?? null,
    cause: ended.cause ?? null,
    stopDate: ended.stopDate ? Date.parse(ended.stopDate) : null,
  },
});

/** Two rollouts that shifted 30% and whose executions were then stopped, each on its own router. */
async function twoInterrupted() {
  const routers = { a: new FakeRouter(), b: new FakeRouter() };
  const deps = fakeDeps(routers.a, new FakeMetrics(() => undefined));
  deps.router = (target: Target) => routers[(target as { functionName: 'a' | 'b' }).functionName];
  for (const name of ['a', 'b'] as const) {
    const state = (await plan(release(name), deps, { executionId: `run-${name}` })) as RolloutState;
    await setWeight(state, deps);
    deps.executions.states.set(`run-${name}`, {
      status: 'ABORTED',
      stopDate: deps.clock.now().toISOString(),
    });
  }
  return { routers, deps };
}

/**
 * A rollout whose SetWeight has written its intent (10%) and whose Lambda is about to write it when the
 * execution is stopped: the Lambda runs on, and its write lands when `land()` is called, or, at the
 * latest, when the clock next moves (a Task Lambda ends within its timeout).
 */
async function stoppedDuringSetWeight(options: { afterAllowTraffic?: boolean } = {}) {
  const router = new FakeRouter();
  const deps = fakeDeps(router, new FakeMetrics(() => undefined));
  const input = release('fn', {
    strategy: { steps: [{ weight: 10, bakeMinutes: 5 }] },
    ...(options.afterAllowTraffic ? { hooks: { afterAllowTraffic: 'fn-after-hook' } } : {}),
  });
  const planned = (await plan(input, deps, { executionId: 'run-1' })) as RolloutState;
  let land: () => void = () => undefined;
  const landed = new Promise<void>((resolve) => {
    land = resolve;
  });
  const write = router.setWeight.bind(router);
  router.setWeight = async (weight, context) => {
    await landed;
    return write(weight, context);
  };
  const task = setWeight(planned, deps);
  await new Promise((resolve) => setImmediate(resolve)); // its intent is saved; the write waits
  deps.clock.onAdvance(async () => {
    land();
    await task;
  });
  const stopped: ExecutionState = {
    status: 'ABORTED',
    cause: 'stopped by an operator',
    stopDate: deps.clock.now().toISOString(),
  };
  deps.executions.states.set('run-1', stopped);
  return { router, deps, task, stopped, land, planned };
}

describe('recovering a stopped execution', () => {
  it('does not act while a Task it started may still write, and restores the split that Task leaves once it cannot', async () => {
    // Prepare
    const { router, deps, task, stopped, land } = await stoppedDuringSetWeight();

    // Act: the status change arrives at once, in an invocation with too little time left to wait for the
    // Task; its write then lands; the sweep comes after the Task's Lambda has certainly ended.
    const early = await recoverEvent(statusChange('run-1', stopped), deps, { remainingMs: 100_000 });
    const held = await deps.records.get('lambda-alias#fn#live');
    land();
    await task;
    const split = router.weight;
    await deps.clock.advance(TASK_SETTLE_SECONDS);
    const swept = await recoverEvent(SWEEP, deps);

    // Assess
    expect(early).toEqual([
      expect.objectContaining({
        action: 'none',
        reason: expect.stringMatching(
          /was stopped: stopped by an operator \(it ended at 2026-11-02T10:00:00.000Z\); a Task it started may still be running .* recovery acts from 2026-11-02T10:02:15.000Z/,
        ),
      }),
    ]);
    expect(held).toMatchObject({ status: 'shifting', intent: { action: 'set-weight', weight: 10 } });
    expect(split).toBe(10);
    expect(swept).toEqual([expect.objectContaining({ action: 'rolled-back', weight: 0 })]);
    expect(router.weight).toBe(0);
    expect(await deps.records.get('lambda-alias#fn#live')).toMatchObject({ status: 'rolled-back' });
    expect(deps.events.published.map((e) => e.detailType)).not.toContain('Canary Recovery Failed');
  });

  it('waits in-process for the Task when its invocation has the time, then restores what the Task left', async () => {
    // Prepare
    const { router, deps, stopped } = await stoppedDuringSetWeight();

    // Act
    const results = await recoverEvent(statusChange('run-1', stopped), deps, { remainingMs: 299_000 });

    // Assess
    expect(results).toEqual([expect.objectContaining({ action: 'rolled-back', weight: 0 })]);
    expect(deps.clock.now().getTime() - T0.getTime()).toBe(TASK_SETTLE_SECONDS * 1000);
    expect(router.calls).toEqual(['setWeight:10', 'rollback']);
    expect(router.weight).toBe(0);
    expect(deps.events.published.filter((e) => e.detailType === 'Canary Rolled Back')).toEqual([
      expect.objectContaining({ detail: expect.objectContaining({ weightBefore: 10 }) }),
    ]);
  });

  it('leaves a stop that the sweep finds too recent to the next sweep', async () => {
    // Prepare
    const { routers, deps } = await twoInterrupted();

    // Act
    const first = await recoverEvent(SWEEP, deps);
    await deps.clock.advance(TASK_SETTLE_SECONDS);
    const next = await recoverEvent(SWEEP, deps);

    // Assess
    expect(first.map((r) => r.action)).toEqual(['none', 'none']);
    expect(next.map((r) => [r.owner, r.action])).toEqual([
      ['run-a', 'rolled-back'],
      ['run-b', 'rolled-back'],
    ]);
    expect([routers.a.weight, routers.b.weight]).toEqual([0, 0]);
  });

  it.each<[string, boolean, ExecutionState]>([
    ['a stop', true, { status: 'ABORTED' }],
    ['the execution timeout', true, { status: 'TIMED_OUT' }],
    [
      'a failure in no Fail state (the service ended it)',
      true,
      { status: 'FAILED', error: 'States.Runtime' },
    ],
    ['RollbackFailed (its Task had ended)', false, { status: 'FAILED', error: 'fledge.RollbackFailed' }],
  ])('after %s, waits for a Task that may still run: %s', async (_, waits, how) => {
    // Prepare
    const router = new FakeRouter();
    const deps = fakeDeps(router, new FakeMetrics(() => undefined));
    const state = (await plan(release('fn'), deps, { executionId: 'run-1' })) as RolloutState;
    await setWeight(state, deps);
    const ended = { ...how, stopDate: deps.clock.now().toISOString() };

    // Act
    const [result] = await recoverEvent(statusChange('run-1', ended), deps);

    // Assess
    expect(result?.action).toBe(waits ? 'none' : 'rolled-back');
    expect(router.weight).toBe(waits ? 30 : 0);
  });

  it('`fledge recover` refuses to act before the Task can have ended, says from when, and changes nothing', async () => {
    // Prepare
    const { routers, deps } = await twoInterrupted();

    // Act
    const early = await planRecovery(release('a'), deps as Deps);
    await deps.clock.advance(TASK_SETTLE_SECONDS);
    const later = await planRecovery(release('a'), deps as Deps);

    // Assess
    expect(early).toEqual({
      report: expect.objectContaining({
        outcome: 'refused',
        reason: expect.stringMatching(
          /recovery acts from 2026-11-02T10:02:15.000Z.*run `fledge recover` again after that. Nothing was changed/,
        ),
      }),
    });
    expect(routers.a.weight).toBe(30);
    expect(later).toHaveProperty('change');
  });
});

describe('a traffic write that lands after its rollout was closed', () => {
  it('is not silent: SetWeight says what it left with Canary Recovery Failed', async () => {
    // Prepare: the record is closed while SetWeight's write is on its way (as a recovery acting too early did).
    const { deps, task, land } = await stoppedDuringSetWeight();
    const record = await deps.records.get('lambda-alias#fn#live');
    if (!record) throw new Error('no record');
    await deps.records.finish({ ...record, status: 'rolled-back', intent: undefined });

    // Act
    land();
    await task;

    // Assess
    expect(deps.events.published.filter((e) => e.detailType === 'Canary Recovery Failed')).toEqual([
      expect.objectContaining({
        detail: expect.objectContaining({
          weight: 10,
          reason: expect.stringMatching(
            /alias fn:live .*write landed after its rollout record was closed .*10% on the canary, 90% on the baseline/,
          ),
        }),
      }),
    ]);
  });

  it('is not silent: Promote, with a hook still to run, says the new version has all traffic', async () => {
    // Prepare
    const { deps, task, land } = await stoppedDuringSetWeight({ afterAllowTraffic: true });
    land();
    const shifted = await task;
    const record = await deps.records.get('lambda-alias#fn#live');
    if (!record) throw new Error('no record');
    const promoting = promote(shifted, deps);
    await deps.records.finish({ ...record, status: 'rolled-back', intent: undefined });

    // Act
    await promoting;

    // Assess
    expect(deps.events.published.filter((e) => e.detailType === 'Canary Recovery Failed')).toEqual([
      expect.objectContaining({
        detail: expect.objectContaining({
          weight: 100,
          reason: expect.stringMatching(/all traffic on the new version 2/),
        }),
      }),
    ]);
  });
});

describe('the recovery sweep', () => {
  it('restores every record whose execution ended', async () => {
    const { routers, deps } = await twoInterrupted();
    await deps.clock.advance(TASK_SETTLE_SECONDS);

    const results = await recoverEvent(SWEEP, deps);

    expect(results.map((r) => [r.owner, r.action])).toEqual([
      ['run-a', 'rolled-back'],
      ['run-b', 'rolled-back'],
    ]);
    expect([routers.a.weight, routers.b.weight]).toEqual([0, 0]);
    expect(await deps.records.active()).toEqual([]);
  });

  it('goes on past a record whose execution cannot be read, then fails the invocation so Lambda retries', async () => {
    const { routers, deps } = await twoInterrupted();
    await deps.clock.advance(TASK_SETTLE_SECONDS);
    const describe = deps.executions.describe.bind(deps.executions);
    deps.executions.describe = async (arn) => {
      if (arn === 'run-a') throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      return describe(arn);
    };

    const sweep = recoverEvent(SWEEP, deps);

    await expect(sweep).rejects.toThrow(/recovery failed for .*a:live.*ThrottlingException: Rate exceeded/);
    expect([routers.a.weight, routers.b.weight]).toEqual([30, 0]);
    expect((await deps.records.active()).map((r) => r.owner)).toEqual(['run-a']);
    // A throttled read is the next sweep's: nothing alarmed yet.
    expect(deps.events.published.filter((e) => e.detailType === 'Canary Recovery Failed')).toEqual([]);
  });

  it('does not say it could not read an execution it did read, when what failed came after', async () => {
    // Prepare: run-a's execution is read (it ended SUCCEEDED), but closing its record is denied.
    const { deps } = await twoInterrupted();
    await deps.clock.advance(TASK_SETTLE_SECONDS);
    deps.executions.states.set('run-a', { status: 'SUCCEEDED', output: '{"outcome":"promoted"}' });
    const finish = deps.records.finish.bind(deps.records);
    const denied = 'User is not authorized to perform: dynamodb:UpdateItem';
    deps.records.finish = async (record) => {
      if (record.owner === 'run-a') throw Object.assign(new Error(denied), { name: 'AccessDeniedException' });
      return finish(record);
    };

    // Act
    await expect(recoverEvent(SWEEP, deps)).rejects.toThrow(/recovery failed for .*a:live/);

    // Assess
    const failed = deps.events.published.filter((e) => e.detailType === 'Canary Recovery Failed');
    expect(failed.map((e) => (e.detail as { reason: string }).reason)).not.toContainEqual(
      expect.stringMatching(/could not read the execution/),
    );
  });

  it('alarms when it cannot read an execution for good, since it could not restore that target', async () => {
    const { deps } = await twoInterrupted();
    await deps.clock.advance(TASK_SETTLE_SECONDS);
    const describe = deps.executions.describe.bind(deps.executions);
    const denied = 'User is not authorized to perform: states:DescribeExecution';
    deps.executions.describe = async (arn) => {
      if (arn === 'run-a') throw Object.assign(new Error(denied), { name: 'AccessDeniedException' });
      return describe(arn);
    };

    await expect(recoverEvent(SWEEP, deps)).rejects.toThrow(/recovery failed for .*a:live/);

    expect(deps.events.published.filter((e) => e.detailType === 'Canary Recovery Failed')).toEqual([
      {
        detailType: 'Canary Recovery Failed',
        detail: expect.objectContaining({
          executionId: 'run-a',
          weight: 30,
          reason: expect.stringMatching(/could not read the execution run-a .*AccessDeniedException/),
          error: { name: 'AccessDeniedException', message: denied },
        }),
      },
    ]);
  });
});

describe('a local run’s lease', () => {
  /** A local run (its execution UNKNOWN to Step Functions) that shifted 30% and last beat at `beat`. */
  async function localRun(beatSecondsAgo: number) {
    const router = new FakeRouter();
    const deps = fakeDeps(router, new FakeMetrics(() => undefined));
    const owner = 'arn:aws:states:us-east-1:000000000000:execution:fledge-canary:local-1';
    const state = (await plan(release('fn'), deps, { executionId: owner })) as RolloutState;
    await setWeight(state, deps);
    const beat = new Date(deps.clock.now().getTime() - beatSecondsAgo * 1000).toISOString();
    await deps.records.heartbeat(state.record.key, owner, beat);
    return { router, deps, key: state.record.key, owner };
  }

  it('keeps the sweep off the target while the heartbeat is fresh', async () => {
    const { router, deps, key } = await localRun(LEASE_SECONDS - 1);

    const results = await recoverEvent(SWEEP, deps);

    expect(results).toEqual([]);
    expect(router.weight).toBe(30);
    expect(await deps.records.get(key)).toMatchObject({ status: 'baking' });
  });

  it('lets the sweep restore the target once the heartbeat stopped for longer than the lease', async () => {
    const { router, deps, key } = await localRun(LEASE_SECONDS + 1);

    const results = await recoverEvent(SWEEP, deps);

    expect(results).toMatchObject([{ action: 'rolled-back', weight: 0 }]);
    expect(router.weight).toBe(0);
    expect(await deps.records.get(key)).toMatchObject({
      status: 'rolled-back',
      outcome: { reason: expect.stringMatching(/the local run stopped renewing its lease/) },
    });
  });

  it('has fledge recover refuse while the lease is live, naming the run, and act with --force', async () => {
    const { router, deps, owner } = await localRun(5);

    const refused = await planRecovery(release('fn'), deps as unknown as Deps);
    const forced = await planRecovery(release('fn'), deps as unknown as Deps, { force: true });

    expect(refused).toMatchObject({
      report: {
        outcome: 'refused',
        reason: expect.stringContaining(
          `a local run still holds alias fn:live (version 1 → 2) (${owner}, baking`,
        ),
      },
    });
    expect(router.weight).toBe(30);
    expect(forced).toMatchObject({
      underLiveRun: true,
      change: expect.stringMatching(/UNDER THE LOCAL RUN .*which is still alive/),
    });
    if ('apply' in forced) await forced.apply();
    expect(router.weight).toBe(0);
  });
});

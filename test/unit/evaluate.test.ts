/** The Evaluate step: what it reads at each check, and what it leaves in the execution history. */
import { describe, expect, it } from 'vitest';
import { plan } from '../../shared/steps/plan';
import { evaluate, type RolloutState, setWeight } from '../../shared/steps/rollout';
import { FakeMetrics, FakeRouter, fakeDeps, steadyMinute, T0 } from '../support/fakes';

async function started(metrics: FakeMetrics) {
  const router = new FakeRouter();
  const deps = fakeDeps(router, metrics);
  const planned = (await plan(
    {
      target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
      strategy: 'Canary10Percent30Minutes',
    },
    deps,
    { executionId: 'run-1' },
  )) as RolloutState;
  return { deps, state: await setWeight(planned, deps) };
}

it('reads alarms and health checks at a check whose metric window is still empty', async () => {
  // Prepare
  const metrics = new FakeMetrics((at) => steadyMinute(at, 1000, 0.1, 0.005, 0.005));
  metrics.existingAlarms = ['checkout-errors'];
  const { deps, state } = await started(metrics);
  metrics.alarms = ['checkout-errors'];
  await deps.clock.advance(30);

  // Act
  const next = await evaluate(
    { ...state, analysis: { ...state.analysis, alarms: ['checkout-errors'] } },
    deps,
  );

  // Assess
  expect(metrics.windows).toEqual([]);
  expect(next.next).toMatchObject({ action: 'rollback', reason: 'alarm in ALARM: checkout-errors' });
});

it('hands each minute to the history, and the newest, partly reported one again once complete', async () => {
  const metrics = new FakeMetrics((at) => steadyMinute(at, 1000, 0.1, 0.005, 0.005));
  const { deps, state } = await started(metrics);

  await deps.clock.advance(180);
  const first = await evaluate(state, deps);
  await deps.clock.advance(60);
  const second = await evaluate(first, deps);

  const minute = (m: number) => new Date(T0.getTime() + m * 60_000).toISOString();
  expect(first.lastMinutes?.map((m) => m.at)).toEqual([minute(0), minute(1)]);
  expect(second.lastMinutes?.map((m) => m.at)).toEqual([minute(1), minute(2)]);
});

it('records when the check ran as the last check, not where its metrics window ends', async () => {
  const metrics = new FakeMetrics((at) => steadyMinute(at, 1000, 0.1, 0.005, 0.005));
  const { deps, state } = await started(metrics);
  await deps.clock.advance(221.5);
  const ranAt = deps.clock.now().toISOString();

  const checked = await evaluate(state, deps);
  const record = await deps.records.get(state.record.key);
  await setWeight({ ...checked, next: { action: 'advance', reason: 'advance' } }, deps);
  const afterShift = await deps.records.get(state.record.key);

  expect(checked.lastVerdict?.evidence?.window.end).not.toBe(ranAt);
  expect(record?.lastCheck?.at).toBe(ranAt);
  expect(afterShift?.lastCheck?.at).toBe(ranAt);
});

describe('a check that cannot read the operator requests', () => {
  async function pausedThenUnreadable(error: Error) {
    const metrics = new FakeMetrics((at) => steadyMinute(at, 1000, 0.1, 0.005, 0.005));
    const router = new FakeRouter();
    const deps = fakeDeps(router, metrics);
    const planned = (await plan(
      {
        target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
        strategy: {
          steps: [
            { weight: 10, bakeMinutes: 1 },
            { weight: 50, bakeMinutes: 1 },
          ],
        },
      },
      deps,
      { executionId: 'run-1' },
    )) as RolloutState;
    const state = await setWeight(planned, deps);
    await deps.records.request(state.record.key, state.record.owner, {
      pause: { since: deps.clock.now().toISOString(), by: 'alice', reason: 'incident' },
    });
    deps.records.requests = async () => {
      throw error;
    };
    // Past the step's bake, with a passing canary: this check would advance if it saw no pause.
    await deps.clock.advance(240);
    return { deps, state };
  }

  it('goes back to the Retry when the read failed transiently, moving nothing', async () => {
    const { deps, state } = await pausedThenUnreadable(
      Object.assign(new Error('Rate exceeded'), { name: 'TransientAwsError' }),
    );

    await expect(evaluate(state, deps)).rejects.toMatchObject({ name: 'TransientAwsError' });
  });

  it('holds, saying why, when the read failed otherwise, and rolls back when it keeps failing', async () => {
    const { deps, state } = await pausedThenUnreadable(
      Object.assign(new Error('not authorized to perform dynamodb:GetItem'), {
        name: 'AccessDeniedException',
      }),
    );

    const first = await evaluate(state, deps);
    await deps.clock.advance(first.waitSeconds);
    const second = await evaluate(first, deps);
    await deps.clock.advance(second.waitSeconds);
    const third = await evaluate(second, deps);

    for (const held of [first, second]) {
      expect(held.next).toMatchObject({
        action: 'hold',
        reason: expect.stringContaining('AccessDeniedException: not authorized to perform dynamodb:GetItem'),
      });
      expect(held.progress.stepIndex).toBe(0);
    }
    expect(third.next).toMatchObject({
      action: 'rollback',
      reason: expect.stringMatching(/^analysis failed 3 checks in a row: .*AccessDeniedException/),
    });
  });
});

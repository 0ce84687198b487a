import { describe, expect, it } from 'vitest';
import type { Target } from '../../shared/core/schema';
import { plan } from '../../shared/steps/plan';
import { recoverEvent } from '../../shared/steps/recover';
import { type RolloutState, setWeight } from '../../shared/steps/rollout';
import { FakeMetrics, FakeRouter, fakeDeps } from '../support/fakes';

const release = (functionName: string) => ({
  target: { type: 'lambda-alias', functionName, alias: 'live', version: '2' },
  strategy: { steps: [{ weight: 30, bakeMinutes: 5 }] },
});

/** Two rollouts that shifted 30% and whose executions then ended, each on its own router. */
async function twoInterrupted() {
  const routers = { a: new FakeRouter(), b: new FakeRouter() };
  const deps = fakeDeps(routers.a, new FakeMetrics(() => undefined));
  deps.router = (target: Target) => routers[(target as { functionName: 'a' | 'b' }).functionName];
  for (const name of ['a', 'b'] as const) {
    const state = (await plan(release(name), deps, { executionId: `run-${name}` })) as RolloutState;
    await setWeight(state, deps);
    deps.executions.states.set(`run-${name}`, { status: 'ABORTED' });
  }
  return { routers, deps };
}

describe('the recovery sweep', () => {
  it('restores every record whose execution ended', async () => {
    const { routers, deps } = await twoInterrupted();

    const results = await recoverEvent({ 'detail-type': 'Scheduled Event' }, deps);

    expect(results.map((r) => [r.owner, r.action])).toEqual([
      ['run-a', 'rolled-back'],
      ['run-b', 'rolled-back'],
    ]);
    expect([routers.a.weight, routers.b.weight]).toEqual([0, 0]);
    expect(await deps.records.active()).toEqual([]);
  });

  it('goes on past a record whose execution cannot be read, then fails the invocation so Lambda retries', async () => {
    const { routers, deps } = await twoInterrupted();
    const describe = deps.executions.describe.bind(deps.executions);
    deps.executions.describe = async (arn) => {
      if (arn === 'run-a') throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      return describe(arn);
    };

    const sweep = recoverEvent({ 'detail-type': 'Scheduled Event' }, deps);

    await expect(sweep).rejects.toThrow(/recovery failed for .*a:live.*ThrottlingException: Rate exceeded/);
    expect([routers.a.weight, routers.b.weight]).toEqual([30, 0]);
    expect((await deps.records.active()).map((r) => r.owner)).toEqual(['run-a']);
  });
});

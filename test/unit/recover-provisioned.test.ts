/**
 * Recovery removes the provisioned concurrency a rollout gave its canary, whether the execution ended
 * while it warmed (no traffic moved) or after traffic moved; and never what someone else changed.
 */
import { describe, expect, it } from 'vitest';
import { plan } from '../../shared/steps/plan';
import { provisionCanary } from '../../shared/steps/provision';
import { recoverExecution } from '../../shared/steps/recover';
import { type RolloutState, setWeight } from '../../shared/steps/rollout';
import { FakeMetrics, FakeRouter, fakeDeps } from '../support/fakes';

const input = {
  target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
  strategy: { steps: [{ weight: 30, bakeMinutes: 5 }] },
};

async function stoppedAfter(shift: boolean) {
  const router = new FakeRouter();
  router.provisioned = { stable: 10, canary: 0 };
  router.provisionStatuses = ['IN_PROGRESS'];
  const deps = fakeDeps(router, new FakeMetrics(() => undefined));
  const planned = (await plan(input, deps, { executionId: 'run-1' })) as RolloutState;
  const warming = await provisionCanary(planned, deps);
  const asked = warming.provisioned;
  if (!asked?.requestedAt) throw new Error('ProvisionCanary asked for nothing');
  if (shift) await setWeight({ ...warming, provisioned: { ...asked, status: 'READY' } }, deps);
  deps.executions.states.set('run-1', {
    status: 'ABORTED',
    stopDate: deps.clock.now().toISOString(),
    tasksEnded: true,
  });
  return { router, deps };
}

describe('recovery and the canary provisioned concurrency', () => {
  it('removes it when the execution was stopped while it warmed, before any traffic moved', async () => {
    const { router, deps } = await stoppedAfter(false);
    expect(router.canaryProvisioned).toBe(3);

    const recovery = await recoverExecution('run-1', deps);

    expect(recovery?.action).toBe('closed');
    expect(router.calls).toEqual(['provision:3:IN_PROGRESS', 'unprovision']);
    expect(router.canaryProvisioned).toBeUndefined();
    expect((await deps.records.get('lambda-alias#checkout#live'))?.provisioned).toMatchObject({
      status: 'removed',
    });
  });

  it('removes it after restoring the baseline when traffic had moved', async () => {
    const { router, deps } = await stoppedAfter(true);

    const recovery = await recoverExecution('run-1', deps);

    expect(recovery?.action).toBe('rolled-back');
    expect(router.calls.slice(-2)).toEqual(['rollback', 'unprovision']);
    expect(router.canaryProvisioned).toBeUndefined();
  });

  it('leaves it when someone else changed it since, and the record says so', async () => {
    const { router, deps } = await stoppedAfter(true);
    router.canaryProvisioned = 40;

    await recoverExecution('run-1', deps);

    expect(router.canaryProvisioned).toBe(40);
    const record = await deps.records.get('lambda-alias#checkout#live');
    expect(record?.provisioned).toMatchObject({
      status: 'left',
      reason: expect.stringMatching(/left as it is/),
    });
  });

  it('keeps the record for the next sweep when the removal is throttled', async () => {
    const { router, deps } = await stoppedAfter(false);
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' });
    router.failures.unprovision = [throttled];

    await expect(recoverExecution('run-1', deps)).rejects.toThrow(/Rate exceeded/);
    expect((await deps.records.get('lambda-alias#checkout#live'))?.status).toBe('planned');

    const again = await recoverExecution('run-1', deps);
    expect(again?.action).toBe('closed');
    expect(router.canaryProvisioned).toBeUndefined();
  });
});

/**
 * The canary's capacity before it takes traffic (Lambda: provisioned concurrency on the new version): the
 * ProvisionCanary step asks for it and reads its status, looped by the state machine's Wait until READY or
 * FAILED; promotion, rollback and recovery remove it. What it did and what it cost go in the outcome.
 */
import { afterProvisionRead, type Provisioned } from '../core/provisioned';
import { bestEffort } from './bookkeeping';
import { withCapacity } from './capacity';
import type { Deps } from './deps';
import { pendingAbort, type RolloutState, recordOf } from './rollout';

export type ProvisionDeps = Pick<Deps, 'clock' | 'router' | 'records'>;

/**
 * Asks for the planned capacity (the record says so first, so a recovery removes it) or, on a later pass,
 * reads its status. FAILED, or still not READY after MAX_PROVISION_MINUTES, sends the rollout to Rollback
 * before any traffic has moved.
 */
export async function provisionCanary(state: RolloutState, deps: ProvisionDeps): Promise<RolloutState> {
  const planned = state.provisioned;
  if (!planned)
    throw new RangeError('ProvisionCanary ran for a rollout that planned no provisioned capacity');
  const router = withCapacity(deps.router(state.target), state.target);
  const now = deps.clock.now();
  const at = now.toISOString();
  const asked: Provisioned = planned.requestedAt ? planned : { ...planned, requestedAt: at };
  if (!planned.requestedAt) {
    await deps.records.save(recordOf({ ...state, provisioned: asked }, 'planned', at));
  }
  const provisioned = afterProvisionRead(asked, await router.provision(asked), now);
  const next: RolloutState = { ...state, provisioned, ...(await whatNext(state, provisioned, deps)) };
  await bestEffort('recording the provisioned concurrency', () =>
    deps.records.save(recordOf(next, 'planned', at)),
  );
  return next;
}

/**
 * FAILED rolls back. An operator's abort left while it warms is not kept waiting for READY: like SetWeight,
 * this holds for a moment (the state machine's Bake) and the check that follows applies the abort.
 */
async function whatNext(
  state: RolloutState,
  provisioned: Provisioned,
  deps: ProvisionDeps,
): Promise<Partial<Pick<RolloutState, 'next' | 'waitSeconds'>>> {
  if (provisioned.status === 'FAILED') {
    return {
      next: {
        action: 'rollback',
        reason: `provisioned concurrency for version ${provisioned.version} failed (${provisioned.reason}); no traffic had moved`,
      },
    };
  }
  const abort = await pendingAbort(state, deps);
  if (!abort) return {};
  return {
    waitSeconds: 1,
    next: {
      action: 'hold',
      reason: `abort requested by ${abort.by} (${abort.reason}) while version ${provisioned.version}'s provisioned concurrency was ${provisioned.status}; no traffic had moved; the next check rolls back`,
    },
  };
}

/**
 * The canary's capacity before it takes traffic (Lambda: provisioned concurrency on the new version): the
 * ProvisionCanary step asks for it and reads its status, looped by the state machine's Wait until READY or
 * FAILED; promotion, rollback and recovery remove it. What it did and what it cost go in the outcome.
 */
import { afterProvisionRead, type Provisioned } from '../core/provisioned';
import { bestEffort } from './bookkeeping';
import { withCapacity } from './capacity';
import type { Deps } from './deps';
import { type RolloutState, recordOf } from './rollout';

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
  const next: RolloutState = {
    ...state,
    provisioned,
    ...(provisioned.status === 'FAILED'
      ? {
          next: {
            action: 'rollback',
            reason: `provisioned concurrency for version ${provisioned.version} failed (${provisioned.reason}); no traffic had moved`,
          },
        }
      : {}),
  };
  await bestEffort('recording the provisioned concurrency', () =>
    deps.records.save(recordOf(next, 'planned', at)),
  );
  return next;
}

/**
 * The canary's capacity before it takes traffic (Lambda: provisioned concurrency on the new version): the
 * ProvisionCanary step asks for it and reads its status, looped by the state machine's Wait until READY or
 * FAILED; promotion, rollback and recovery remove it. What it did and what it cost go in the outcome.
 */
import { afterProvisionRead, type Provisioned } from '../core/provisioned';
import { bestEffort } from './bookkeeping';
import { withCapacity } from './capacity';
import type { Deps } from './deps';
import type { ReleaseMemberState, ReleaseState } from './release';
import { pendingAbort, type RolloutState, recordOf, recordsOf, saveRecords } from './rollout';

export type ProvisionDeps = Pick<Deps, 'clock' | 'router' | 'records'>;

/**
 * Asks for the planned capacity (the record says so first, so a recovery removes it) or, on a later pass,
 * reads its status. FAILED, or still not READY after MAX_PROVISION_MINUTES, sends the rollout to Rollback
 * before any traffic has moved.
 */
export async function provisionCanary(state: RolloutState, deps: ProvisionDeps): Promise<RolloutState> {
  if (state.release) return provisionRelease(state, state.release, deps);
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
  const failed =
    provisioned.status === 'FAILED'
      ? `provisioned concurrency for version ${provisioned.version} failed (${provisioned.reason})`
      : undefined;
  const waiting = `version ${provisioned.version}'s provisioned concurrency was ${provisioned.status}`;
  const next: RolloutState = { ...state, provisioned, ...(await whatNext(state, failed, waiting, deps)) };
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
  failed: string | undefined,
  waiting: string,
  deps: ProvisionDeps,
): Promise<Partial<Pick<RolloutState, 'next' | 'waitSeconds'>>> {
  if (failed) return { next: { action: 'rollback', reason: `${failed}; no traffic had moved` } };
  const abort = await pendingAbort(state, deps);
  if (!abort) return {};
  return {
    waitSeconds: 1,
    next: {
      action: 'hold',
      reason: `abort requested by ${abort.by} (${abort.reason}) while ${waiting}; no traffic had moved; the next check rolls back`,
    },
  };
}

/**
 * A release's ProvisionCanary: each target that planned capacity is asked for it once (every record says
 * so first) and then read on each pass until READY; the release is READY when every target is, and one
 * FAILED target rolls the whole release back before any target's traffic moves.
 */
async function provisionRelease(
  state: RolloutState,
  release: ReleaseState,
  deps: ProvisionDeps,
): Promise<RolloutState> {
  const now = deps.clock.now();
  const at = now.toISOString();
  const asked = release.members.map((m) =>
    m.provisioned && !m.provisioned.requestedAt
      ? { ...m, provisioned: { ...m.provisioned, requestedAt: at } }
      : m,
  );
  if (asked.some((m, i) => m !== release.members[i])) {
    await saveRecords(deps, recordsOf({ ...state, release: { ...release, members: asked } }, 'planned', at));
  }
  const members = await Promise.all(asked.map((m) => readMember(m, deps, now)));
  const failed = members.filter((m) => m.provisioned?.status === 'FAILED');
  const capacity = failed.length > 0 ? 'FAILED' : members.every(isWarm) ? 'READY' : 'IN_PROGRESS';
  const waiting = members
    .flatMap((m) => (m.provisioned && !isWarm(m) ? [`${m.name}: ${m.provisioned.status}`] : []))
    .join(', ');
  const failure = failed.length
    ? `provisioned concurrency failed for ${failed.map((m) => `${m.name} version ${m.provisioned?.version} (${m.provisioned?.reason})`).join('; ')}`
    : undefined;
  const next: RolloutState = {
    ...state,
    release: { ...release, members, capacity },
    ...(await whatNext(
      state,
      failure,
      `the release's provisioned concurrency was not READY (${waiting})`,
      deps,
    )),
  };
  await bestEffort('recording the provisioned concurrency', () =>
    saveRecords(deps, recordsOf(next, 'planned', at)),
  );
  return next;
}

/** A target with no capacity planned is as ready as it will be. */
function isWarm(member: ReleaseMemberState): boolean {
  return !member.provisioned || member.provisioned.status === 'READY';
}

/** One target's capacity after a read; one READY or FAILED already is not read again. */
async function readMember(
  member: ReleaseMemberState,
  deps: ProvisionDeps,
  now: Date,
): Promise<ReleaseMemberState> {
  const plan = member.provisioned;
  if (!plan || plan.status === 'READY' || plan.status === 'FAILED') return member;
  const router = withCapacity(deps.router(member.target), member.target);
  return { ...member, provisioned: afterProvisionRead(plan, await router.provision(plan), now) };
}

/**
 * Removing the capacity a rollout gave its canary (shared/steps/provision.ts), for the steps that end a
 * rollout and for recovery. Apart from provision.ts so rollout.ts and recover.ts can use it without a cycle.
 */
import { isTransient } from '../core/errors';
import type { TrafficRouter } from '../core/ports';
import { type Provisioned, provisionedHours, provisionedToRemove } from '../core/provisioned';
import type { Target } from '../core/schema';
import { logger } from '../lambda/logging';
import { bestEffort } from './bookkeeping';
import type { Deps } from './deps';

/**
 * Removes the capacity a rollout asked for, once its traffic is where it ends. Transient failures are
 * thrown (recovery leaves the record for its next sweep); anything else is written into the plan's reason
 * and logged.
 */
export async function releaseProvisioned(
  target: Target,
  plan: Provisioned | undefined,
  deps: Pick<Deps, 'router' | 'clock'>,
): Promise<Provisioned | undefined> {
  if (!provisionedToRemove(plan)) return plan;
  const at = deps.clock.now().toISOString();
  try {
    const done = await withCapacity(deps.router(target), target).unprovision(plan);
    return { ...plan, status: done.removed ? 'removed' : 'left', endedAt: at, reason: done.detail };
  } catch (error) {
    if (isTransient(error)) throw error;
    const { name, message } = error as Error;
    logger.warn('removing the provisioned concurrency failed', { error: error as Error });
    return { ...plan, reason: `could not be removed (${name}: ${message}); remove it by hand` };
  }
}

/**
 * The removal at the end of a promotion or rollback: a transient failure is tried again a few times, then
 * given up on, never failing the step, whose traffic is already where it ends (a retried Promote or
 * Rollback must not undo it, nor turn it into RollbackFailed). Capacity it could not remove is named in
 * `Canary Recovery Failed` (alarmed), as nothing else will come back to it. Each call is bounded by the SDK
 * client's timeouts, and the whole by the step's own (a retried step finds what is already removed).
 */
export async function releaseAtEnd(
  state: { target: Target; provisioned?: Provisioned | undefined },
  deps: Pick<Deps, 'router' | 'clock' | 'events'>,
  detail: Record<string, unknown>,
): Promise<Provisioned | undefined> {
  const plan = state.provisioned;
  if (!provisionedToRemove(plan)) return plan;
  let released: Provisioned | undefined;
  let failure: Error | undefined;
  for (let attempt = 1; attempt <= END_ATTEMPTS && !released; attempt++) {
    try {
      released = await releaseProvisioned(state.target, plan, deps);
    } catch (error) {
      failure = error as Error;
    }
  }
  if (released && (released.endedAt || !released.reason?.startsWith('could not'))) return released;
  const reason = released?.reason?.startsWith('could not')
    ? released.reason
    : `could not be removed (${failure?.name}: ${failure?.message}); remove it by hand`;
  const left: Provisioned = { ...plan, reason };
  await bestEffort('announcing the provisioned concurrency left', () =>
    deps.events.publish('Canary Recovery Failed', {
      ...detail,
      reason: `the ${plan.count} provisioned concurrency fledge gave version ${plan.version} ${reason} (aws lambda delete-provisioned-concurrency-config --qualifier ${plan.version}); traffic is where the rollout left it, but the version costs provisioned concurrency until then`,
    }),
  );
  return left;
}

/** Tries of the removal at the end of a rollout, each with the SDK's own retries. */
const END_ATTEMPTS = 3;

/** The plan as a report shows it: with its concurrency-hours so far. */
export function provisionedSummary(
  plan: Provisioned | undefined,
  now: Date,
): (Provisioned & { hours: number }) | undefined {
  return plan?.requestedAt ? { ...plan, hours: provisionedHours(plan, now) } : undefined;
}

type WithCapacity = Required<Pick<TrafficRouter, 'provision' | 'unprovision'>>;

/** The router's capacity methods; a kind without them is a programming error here, never skipped. */
export function withCapacity(router: TrafficRouter, target: Target): WithCapacity {
  const { provision, unprovision } = router;
  if (!provision || !unprovision) {
    throw new Error(`a ${target.type} target has no provisioned capacity to manage`);
  }
  return { provision: provision.bind(router), unprovision: unprovision.bind(router) };
}

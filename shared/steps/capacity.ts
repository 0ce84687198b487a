/**
 * Removing the capacity a rollout gave its canary (shared/steps/provision.ts), for the steps that end a
 * rollout and for recovery. Apart from provision.ts so rollout.ts and recover.ts can use it without a cycle.
 */
import { isTransient } from '../core/errors';
import type { TrafficRouter } from '../core/ports';
import { type Provisioned, provisionedHours, provisionedToRemove } from '../core/provisioned';
import type { Target } from '../core/schema';
import { logger } from '../lambda/logging';
import type { Deps } from './deps';

/**
 * Removes the capacity a rollout asked for, once its traffic is where it ends (promoted or rolled back).
 * Transient failures are thrown for the step's Retry (its traffic write is idempotent); anything else is
 * written into the plan's reason and logged, never turning a finished promotion or rollback into a failure.
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

/**
 * Capacity fledge gives the canary side before it takes any traffic (Lambda: provisioned concurrency on the
 * new version), the wait until it is ready, and what it cost. Pure: the router reads and writes it in AWS;
 * the state machine's Wait and Choice loop on `status`.
 */
import { MINUTE_MS } from './clock';

/** Lambda's statuses of a provisioned concurrency configuration. */
export type ProvisionedStatus = 'IN_PROGRESS' | 'READY' | 'FAILED';

export interface Provisioned {
  /** The side that holds it (Lambda: the canary version). */
  version: string;
  /** How many fledge asks for. */
  count: number;
  /** Why that many, in words: the input's number, or the alias's share at the largest step. */
  basis: string;
  /**
   * planned: nothing asked yet; then as AWS reports it; removed: fledge took it away at the end; left: it
   * was changed by someone else, so fledge left it as it found it.
   */
  status: 'planned' | ProvisionedStatus | 'removed' | 'left';
  /** AWS's reason for FAILED, or why fledge gave up waiting, or what it left. */
  reason?: string;
  /** When fledge first asked for it (written ahead of the request, so recovery knows to remove it). */
  requestedAt?: string;
  readyAt?: string;
  /** When fledge removed it (or found it removed, or left it). */
  endedAt?: string;
}

/** What the router reads of the canary's capacity. */
export interface ProvisionedRead {
  status: ProvisionedStatus;
  reason?: string | undefined;
}

/** How long the state machine waits between two reads of the status (its Wait state says the same). */
export const PROVISION_WAIT_SECONDS = 30;

/**
 * How long fledge waits for READY before it rolls back. Lambda typically allocates within minutes; a
 * configuration still IN_PROGRESS after this is treated as FAILED, so a release never waits forever.
 */
export const MAX_PROVISION_MINUTES = 15;

/** The longest a rollout may wait for its canary's capacity: what a schedule must leave room for. */
export const MAX_PROVISION_WAIT_SECONDS = MAX_PROVISION_MINUTES * 60 + PROVISION_WAIT_SECONDS;

/**
 * The plan after one read of its status: READY (and when), FAILED with AWS's reason, or IN_PROGRESS, which
 * becomes FAILED once it has waited longer than MAX_PROVISION_MINUTES since it was requested.
 */
export function afterProvisionRead(plan: Provisioned, read: ProvisionedRead, now: Date): Provisioned {
  const at = now.toISOString();
  if (read.status === 'READY') return { ...plan, status: 'READY', readyAt: plan.readyAt ?? at };
  if (read.status === 'FAILED') {
    return { ...plan, status: 'FAILED', reason: read.reason ?? 'AWS gave no reason' };
  }
  const since = Date.parse(plan.requestedAt ?? at);
  if (now.getTime() - since > MAX_PROVISION_MINUTES * MINUTE_MS) {
    return {
      ...plan,
      status: 'FAILED',
      reason: `still IN_PROGRESS ${MAX_PROVISION_MINUTES} minutes after it was requested (${plan.requestedAt})`,
    };
  }
  return { ...plan, status: 'IN_PROGRESS' };
}

/** Whether the rollout asked AWS for capacity that it has not yet removed (or left). */
export function provisionedToRemove(plan: Provisioned | undefined): plan is Provisioned {
  return plan !== undefined && plan.requestedAt !== undefined && plan.endedAt === undefined;
}

/**
 * Provisioned concurrency-hours: the count times the hours from the request to its removal (or `now`,
 * while it lasts). AWS bills provisioned concurrency for as long as it is configured, in GB-seconds; this
 * is the count part of that, before the function's memory size.
 */
export function provisionedHours(plan: Provisioned, now: Date): number {
  if (!plan.requestedAt) return 0;
  const end = plan.endedAt ? Date.parse(plan.endedAt) : now.getTime();
  const hours = Math.max(0, end - Date.parse(plan.requestedAt)) / (60 * MINUTE_MS);
  return Math.round(plan.count * hours * 1000) / 1000;
}

/** One line for a report: what fledge did and what it cost. */
export function describeProvisioned(plan: Provisioned, now: Date): string {
  const asked = `${plan.count} provisioned concurrency on version ${plan.version} (${plan.basis})`;
  if (!plan.requestedAt) return `${asked}: never requested`;
  const ready = plan.readyAt ? `, READY at ${plan.readyAt}` : '';
  const end =
    plan.status === 'removed'
      ? `, removed at ${plan.endedAt}`
      : plan.status === 'left'
        ? `, left in place (${plan.reason})`
        : plan.status === 'FAILED'
          ? `, FAILED (${plan.reason})`
          : '';
  return `${asked}: requested at ${plan.requestedAt}${ready}${end}; ${provisionedHours(plan, now)} concurrency-hours`;
}

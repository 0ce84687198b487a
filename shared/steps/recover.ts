/**
 * Recovery: a rollout whose execution ended without finishing its work (stopped, timed out, failed with
 * no Catch, or in RollbackFailed) leaves its record holding the target. Recovery needs no running
 * execution: it reads the record, rolls the target back through the same router (which never overwrites a
 * change someone else made), frees the target and says what it did. It runs on the execution's status
 * change, on a schedule (those events are best effort), after every local run, and as `fledge recover`.
 */
import { causeMessage, isTransient, TrafficConflictError } from '../core/errors';
import {
  actsFrom,
  type ExecutionState,
  expiredLeaseEnd,
  isActive,
  localRunLease,
  type RecordStatus,
  type RolloutRecord,
  trafficMayHaveMoved,
} from '../core/record';
import type { Target } from '../core/schema';
import { RECOVERY_WORK_SECONDS, TASK_SETTLE_SECONDS, timing } from '../lambda/timeouts';
import { bestEffort } from './bookkeeping';
import { releaseProvisioned } from './capacity';
import type { Deps } from './deps';

export type RecoverDeps = Pick<Deps, 'clock' | 'router' | 'records' | 'events' | 'executions'>;

export interface Recovery {
  key: string;
  label: string;
  owner: string;
  /** none: nothing to do; closed: the record caught up with a finished run; the rest moved traffic or tried. */
  action: 'none' | 'closed' | 'rolled-back' | 'conflict' | 'failed';
  reason: string;
  /** Canary percent after recovery, when it rolled back. */
  weight?: number;
  /** The target whose baseline recovery restored, when it rolled back. */
  target?: Target;
}

export interface RecoverOptions {
  /**
   * With `force`, an execution whose state is UNKNOWN (a local run) counts as ended: a person asked for
   * it.
   */
  force?: boolean;
  /**
   * How long this call may wait in-process (on the deps' clock) for a Task Lambda of a stopped or timed-out
   * execution to end before it acts; past that it leaves the record for the next sweep. Default 0.
   */
  waitUpToMs?: number;
}

/**
 * Recovers the rollout an execution held, if any (its status change, or `fledge run` ending): every
 * target of a release, each through its own record, as one result (see `combined`).
 */
export async function recoverExecution(
  executionArn: string,
  deps: RecoverDeps,
  ended?: ExecutionState,
  options: RecoverOptions = {},
): Promise<Recovery | undefined> {
  const results = await recoverEveryTarget(executionArn, deps, ended, options);
  return results.length > 0 ? combined(results) : undefined;
}

/**
 * Recovers each record an execution held (one, or each target of a release), each tried even when
 * another fails: a release's targets are restored one by one, each by its own router and record.
 */
export async function recoverEveryTarget(
  executionArn: string,
  deps: RecoverDeps,
  ended?: ExecutionState,
  options: RecoverOptions = {},
): Promise<Recovery[]> {
  const records = await deps.records.allForExecution(executionArn);
  if (records.length === 0) return [];
  const execution = ended ?? (await deps.executions.describe(executionArn));
  const results: Recovery[] = [];
  for (const record of records) {
    try {
      results.push(await recoverRecord(record, execution, deps, options));
    } catch (error) {
      // One rollout's recovery throws as it always has; a release's goes on to its other targets.
      if (records.length === 1) throw error;
      const { name, message } = error as Error;
      results.push({
        key: record.key,
        label: record.label,
        owner: record.owner,
        action: 'failed',
        reason: `${name}: ${message}`,
      });
    }
  }
  return results;
}

const ACTION_ORDER: ReadonlyArray<Recovery['action']> = [
  'failed',
  'conflict',
  'rolled-back',
  'closed',
  'none',
];

/**
 * A release's recoveries as one: the action that matters most (failed, then conflict, rolled back,
 * closed, none) and a reason naming each target. One recovery is itself.
 */
export function combined(results: readonly Recovery[]): Recovery {
  const [only] = results;
  if (only && results.length === 1) return only;
  const first = results[0] as Recovery;
  const action = ACTION_ORDER.find((a) => results.some((r) => r.action === a)) ?? 'none';
  const weights = results.flatMap((r) => (r.weight === undefined ? [] : [r.weight]));
  return {
    key: first.key,
    label: results.map((r) => r.label).join(', '),
    owner: first.owner,
    action,
    reason: results.map((r) => `${r.label}: ${r.action} (${r.reason})`).join('; '),
    ...(weights.length > 0 ? { weight: Math.max(...weights) } : {}),
  };
}

/**
 * From when recovery may act on an execution that ended: a Task Lambda of a stopped or timed-out execution
 * runs on (Step Functions does not stop it) and may still write its intended weight, which a recovery
 * acting earlier would not see, and would then call the rollout rolled back over a split. Undefined: now.
 */
export function recoveryActsFrom(execution: ExecutionState, now: Date): Date | undefined {
  return actsFrom(execution, TASK_SETTLE_SECONDS, now);
}

/** Why recovery leaves an execution alone until `from`, in words a person can act on. */
export function tooEarlyReason(execution: ExecutionState, from: Date): string {
  const stopped = execution.stopDate ? ` (it ended at ${execution.stopDate})` : '';
  return (
    `the execution ${describeEnd(execution)}${stopped}; a Task it started may still be running ` +
    `(Step Functions does not stop its Lambda; the longest runs ${TASK_SETTLE_SECONDS} s): recovery acts ` +
    `from ${from.toISOString()}, so that the Task's last write cannot land after it`
  );
}

/**
 * How long the recover function may wait in-process with `remainingMs` of its invocation left: what stays
 * after its own early timeout and the time the recovery itself needs.
 */
export function inProcessWaitMs(remainingMs: number): number {
  return Math.max(0, remainingMs - timing().earlyTimeoutMs - RECOVERY_WORK_SECONDS * 1000);
}

/**
 * Every record whose execution is no longer running. Local runs cannot be asked: one is recovered once its
 * lease expired (it stopped renewing it), and left alone while it is live or it never held one. One
 * record that cannot be handled (its execution cannot be read, say) is reported as failed and does not
 * keep the others waiting for the next sweep.
 */
export async function sweep(deps: RecoverDeps): Promise<Recovery[]> {
  const out: Recovery[] = [];
  for (const record of await deps.records.active()) {
    const failed = (error: unknown): Recovery => {
      const { name, message } = error as Error;
      return {
        key: record.key,
        label: record.label,
        owner: record.owner,
        action: 'failed',
        reason: `${name}: ${message}`,
      };
    };
    let state: ExecutionState;
    try {
      state = await deps.executions.describe(record.owner);
    } catch (error) {
      // An execution that cannot be read for good leaves this target unrecovered, sweep after sweep: say
      // so with the alarmed event. A throttled read is the next sweep's.
      if (!isTransient(error)) {
        const { name, message } = error as Error;
        await deps.events.publish('Canary Recovery Failed', {
          ...recordEventDetail(record),
          reason: `recovery could not read the execution ${record.owner} (${name}: ${message}), so it cannot tell whether it ended midway and cannot restore ${record.label} if it did; recovery retries on its schedule`,
          ...(record.traffic ? { weight: record.traffic.weight } : {}),
          error: { name, message },
        });
      }
      out.push(failed(error));
      continue;
    }
    try {
      // The sweep never waits in-process: a stop too recent to act on is the next sweep's.
      if (state.status !== 'RUNNING' && state.status !== 'UNKNOWN')
        out.push(await recoverRecord(record, state, deps));
      // A local run cannot be asked; its lease says whether it is alive. Expired, it died (kill -9, a
      // dead laptop) and took its Tasks with it.
      const lease = state.status === 'UNKNOWN' ? localRunLease(record, deps.clock.now()) : undefined;
      if (lease && !lease.live) out.push(await recoverRecord(record, expiredLeaseEnd(lease), deps));
    } catch (error) {
      out.push(failed(error));
    }
  }
  return out;
}

/**
 * Brings one record to an end given how its execution ended. A stopped or timed-out execution is acted on
 * only once no Task Lambda it started can still be running (`recoveryActsFrom`): before then this waits
 * in-process if `options.waitUpToMs` allows, and otherwise does nothing and says from when it will act.
 */
export async function recoverRecord(
  record: RolloutRecord,
  execution: ExecutionState,
  deps: RecoverDeps,
  options: RecoverOptions = {},
): Promise<Recovery> {
  const base = { key: record.key, label: record.label, owner: record.owner };
  if (!isActive(record.status)) return { ...base, action: 'none', reason: `already ${record.status}` };
  if (execution.status === 'RUNNING' || (execution.status === 'UNKNOWN' && !options.force)) {
    return { ...base, action: 'none', reason: `${record.owner} is still running (or cannot be asked)` };
  }
  const from = recoveryActsFrom(execution, deps.clock.now());
  if (from) {
    const waitMs = from.getTime() - deps.clock.now().getTime();
    if (waitMs > (options.waitUpToMs ?? 0)) {
      return { ...base, action: 'none', reason: tooEarlyReason(execution, from) };
    }
    await deps.clock.sleep(waitMs);
    // The Task may have written meanwhile (its intent, the weight it applied): act on the record as it is now.
    const now = await deps.records.get(record.key);
    if (!now || now.owner !== record.owner) {
      return { ...base, action: 'none', reason: 'another rollout took the target while recovery waited' };
    }
    return recoverRecord(now, { ...execution, tasksEnded: true }, deps, { ...options, waitUpToMs: 0 });
  }
  const how = describeEnd(execution);
  // The state machine finished its traffic work; only the record lags (its last write was lost).
  const finished = finishedBy(execution);
  if (finished) return close(record, finished.status, finished.reason, deps);
  if (!trafficMayHaveMoved(record) || !record.traffic) {
    // Plan may have left capacity on the canary (its provisioned concurrency) before any traffic moved.
    const released = await withCapacityReleased(record, deps);
    return close(released, 'rejected', `the execution ${how} before any traffic moved`, deps);
  }
  const traffic = record.traffic;
  const reason = `the execution ${how}; fledge recovery restored the baseline`;
  const at = deps.clock.now().toISOString();
  await bestEffort('recording the recovery intent', () =>
    deps.records.save({
      ...record,
      status: 'rolling-back',
      updatedAt: at,
      intent: { action: 'rollback', weight: 0, at },
    }),
  );
  try {
    const applied = await deps.router(record.target).rollback(traffic);
    const released = await withCapacityReleased(record, deps);
    // The traffic is back; a record write that fails now is retried by the next sweep, which finds the
    // baseline already restored.
    await bestEffort('closing the recovered record', () =>
      close(released, 'rolled-back', reason, deps, applied.weight),
    );
    await deps.events.publish('Canary Rolled Back', {
      ...recordEventDetail(record),
      reason,
      weightBefore: record.intent?.weight ?? traffic.weight,
      recovery: { execution: execution.status, error: execution.error, detail: applied.detail },
    });
    return { ...base, action: 'rolled-back', reason, weight: applied.weight, target: record.target };
  } catch (error) {
    const message = (error as Error).message;
    if (error instanceof TrafficConflictError || (error as Error).name === 'TrafficConflictError') {
      await close(record, 'conflict', message, deps);
      await deps.events.publish('Canary Recovery Failed', {
        ...recordEventDetail(record),
        reason: `the execution ${how}; recovery found a change fledge did not make and left it: ${message}`,
        conflict: true,
      });
      return { ...base, action: 'conflict', reason: message };
    }
    await deps.events.publish('Canary Recovery Failed', {
      ...recordEventDetail(record),
      reason: `the execution ${how}; rolling back failed (${(error as Error).name}: ${message}); recovery retries on its schedule`,
      weight: traffic.weight,
      error: { name: (error as Error).name, message },
    });
    return { ...base, action: 'failed', reason: `${(error as Error).name}: ${message}` };
  }
}

/** How a finished state machine run ended, when it did its own traffic work. */
function finishedBy(execution: ExecutionState): { status: RecordStatus; reason: string } | undefined {
  if (execution.status === 'SUCCEEDED') {
    const output = parse(execution.output) as { outcome?: string; reason?: string } | undefined;
    return {
      status: output?.outcome === 'skipped' ? 'skipped' : 'promoted',
      reason: output?.reason ?? 'the execution succeeded',
    };
  }
  if (execution.status !== 'FAILED') return undefined;
  if (execution.error === 'fledge.RolledBack') {
    const outcome = parse(execution.cause) as { reason?: string } | undefined;
    return { status: 'rolled-back', reason: outcome?.reason ?? 'rolled back' };
  }
  if (execution.error === 'fledge.TrafficConflict') {
    return {
      status: 'conflict',
      reason: causeMessage(execution.cause ?? 'someone else changed the traffic'),
    };
  }
  return undefined;
}

async function close(
  record: RolloutRecord,
  status: RecordStatus,
  reason: string,
  deps: RecoverDeps,
  weight?: number,
): Promise<Recovery> {
  const at = deps.clock.now().toISOString();
  const traffic = weight === undefined || !record.traffic ? record.traffic : { ...record.traffic, weight };
  await deps.records.finish({
    ...record,
    status,
    updatedAt: at,
    traffic,
    intent: undefined,
    outcome: { outcome: status, reason, at, ...(weight === undefined ? {} : { weight }) },
  });
  return { key: record.key, label: record.label, owner: record.owner, action: 'closed', reason };
}

/** The record with the canary's capacity removed (or left, if someone else changed it): see capacity.ts. */
async function withCapacityReleased(record: RolloutRecord, deps: RecoverDeps): Promise<RolloutRecord> {
  const provisioned = await releaseProvisioned(record.target, record.provisioned, deps);
  return provisioned ? { ...record, provisioned } : record;
}

function describeEnd(execution: ExecutionState): string {
  const cause = execution.cause ? `: ${causeMessage(execution.cause)}` : '';
  switch (execution.status) {
    case 'ABORTED':
      return `was stopped${cause}`;
    case 'TIMED_OUT':
      return 'timed out';
    case 'FAILED':
      return `failed (${execution.error ?? 'no error name'}${cause})`;
    default:
      return `ended (${execution.status}${cause})`;
  }
}

/** The fields every lifecycle event carries, from a record (recovery has no rollout state). */
export function recordEventDetail(record: RolloutRecord): Record<string, unknown> {
  const input = record.input as { strategy?: unknown } | undefined;
  return {
    executionId: record.owner,
    target: record.target,
    baseline: record.traffic?.baseline,
    canary: record.traffic?.canary,
    strategy: input?.strategy,
    ...(record.trigger ? { trigger: record.trigger } : {}),
  };
}

function parse(text: string | undefined): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Some rollouts of one invocation could not be recovered: thrown so that Lambda retries the event and the
 * function's Errors metric counts it. `results` holds every recovery of the invocation, the ones that
 * restored a target too, which the dashboard's weight still needs.
 */
export class RecoveryFailedError extends Error {
  override readonly name = 'RecoveryFailedError';

  constructor(
    message: string,
    readonly results: Recovery[],
  ) {
    super(message);
  }
}

/** What EventBridge invokes the recover function with: a status change, or the sweep's schedule. */
export interface RecoveryEvent {
  'detail-type'?: string;
  detail?: {
    executionArn?: string;
    status?: string;
    error?: string | null;
    cause?: string | null;
    /** Epoch milliseconds. */
    stopDate?: number | null;
  };
  executionId?: string;
}

export const STATUS_CHANGE = 'Step Functions Execution Status Change';

/**
 * Handles one invocation. A recovery that could not roll back throws, so Lambda retries the event
 * and its error shows in the function's metrics; the sweep tries again either way. On a status change
 * the function may wait in-process for a stopped execution's Task to end (`remainingMs`: what is left
 * of the invocation); the sweep does not wait.
 */
export async function recoverEvent(
  event: RecoveryEvent,
  deps: RecoverDeps,
  invocation: { remainingMs?: number } = {},
): Promise<Recovery[]> {
  let results: Recovery[];
  if (event['detail-type'] === STATUS_CHANGE && event.detail?.executionArn) {
    const { executionArn, status, error, cause, stopDate } = event.detail;
    const ended: ExecutionState = {
      status: (status ?? 'UNKNOWN') as ExecutionState['status'],
      ...(error ? { error } : {}),
      ...(cause ? { cause } : {}),
      ...(typeof stopDate === 'number' ? { stopDate: new Date(stopDate).toISOString() } : {}),
    };
    // The event carries no output; a SUCCEEDED run's record is closed from DescribeExecution.
    results = await recoverEveryTarget(executionArn, deps, ended.status === 'SUCCEEDED' ? undefined : ended, {
      waitUpToMs: invocation.remainingMs === undefined ? 0 : inProcessWaitMs(invocation.remainingMs),
    });
  } else {
    results = await sweep(deps);
  }
  const failed = results.filter((r) => r.action === 'failed');
  if (failed.length > 0) {
    throw new RecoveryFailedError(
      `recovery failed for ${failed.map((r) => `${r.label} (${r.reason})`).join('; ')}`,
      results,
    );
  }
  return results;
}

/**
 * The rollout record: per target, the one place that says which execution holds it and what fledge last
 * wrote or is about to write. Steps write it ahead of every traffic change; recovery, `fledge status` and
 * reports read it. Pure: types and rules only; the stores are in shared/aws/records.ts (DynamoDB) and
 * cli/shared/memory-records.ts (a local run without a table).
 */
import { kindOf } from '../targets/kinds';
import type { TrafficContext } from './ports';
import type { Provisioned } from './provisioned';
import type { Target } from './schema';

/** Where a rollout is. The first seven hold the target; the rest have ended and freed it. */
export type RecordStatus =
  | 'planning'
  | 'planned'
  | 'shifting'
  | 'baking'
  | 'promoting'
  | 'verifying'
  | 'rolling-back'
  | 'promoted'
  | 'rolled-back'
  | 'rejected'
  | 'skipped'
  | 'conflict';

export const ENDED_STATUSES: ReadonlySet<RecordStatus> = new Set([
  'promoted',
  'rolled-back',
  'rejected',
  'skipped',
  'conflict',
]);

export const isActive = (status: RecordStatus): boolean => !ENDED_STATUSES.has(status);

/** A traffic write fledge is about to make (written ahead, so a recovery knows what may have landed). */
export interface Intent {
  action: 'set-weight' | 'promote' | 'rollback';
  /** Canary percent the write routes. */
  weight: number;
  at: string;
}

export interface RolloutRecord {
  /** The target's key (lockKey): what two rollouts must not share. */
  key: string;
  /** The execution holding the target: a Step Functions execution ARN, or a local run's id. */
  owner: string;
  /** When the owner took the target. */
  since: string;
  updatedAt: string;
  status: RecordStatus;
  target: Target;
  /** How a person names the target and its two sides, e.g. "alias checkout:live (version 1 → 2)". */
  label: string;
  /** What fledge last applied (weights, RevisionId or Route 53 snapshot); absent until Plan has read it. */
  traffic?: TrafficContext | undefined;
  intent?: Intent | undefined;
  /** Capacity fledge gave the canary (Lambda: provisioned concurrency); recovery removes what it asked for. */
  provisioned?: Provisioned | undefined;
  step?: { index: number; of: number } | undefined;
  lastCheck?: { at: string; verdict: string; reason: string; action: string } | undefined;
  /** The approval gate the rollout waits at, and since when (fledge approve / reject). */
  gate?: { id: string; openedAt: string } | undefined;
  /**
   * Minutes of pause the rollout has used, as of its last check (lifted pauses and the one in force), of
   * the gates.maxPauseMinutes it may use in all: `fledge pause` refuses once none is left.
   */
  pausedMinutes?: number | undefined;
  /** The ids of the operator commands the checks have applied (the last few), so a stale one is known. */
  handled?: string[] | undefined;
  outcome?: { outcome: string; reason: string; at: string; weight?: number | undefined } | undefined;
  /** The validated rollout input, so a rolled-back release can be started again as it was. */
  input?: unknown;
  /**
   * A local run's lease (wall-clock ISO time of its last heartbeat, kept beside the record, not in it):
   * while it is fresh the run is alive and nobody else restores its target (see `localRunLease`).
   */
  heartbeatAt?: string | undefined;
  /** The release this record's target belongs to: its name and every target's record, in order. */
  release?: RecordRelease | undefined;
  /** What started the rollout (lifecycle events carry it). */
  trigger?: { source: 'console' | 'local' | 'deploy-event' | 'lambda-publish'; eventId?: string } | undefined;
}

/** What a release's records say of it: the release's name and every target's record key, in order. */
export interface RecordRelease {
  name?: string;
  keys: string[];
  /**
   * The release's validated input, on its first target's record only (each record's `input` is its own
   * target's): what `fledge retry` starts again.
   */
  input?: unknown;
}

/** The state of the execution that holds a record, as Step Functions reports it. */
export interface ExecutionState {
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'UNKNOWN';
  error?: string | undefined;
  cause?: string | undefined;
  output?: string | undefined;
  /** When the execution ended (Step Functions' stopDate), ISO 8601; absent while it runs. */
  stopDate?: string | undefined;
  /**
   * Set by whoever reports the end when it knows no Task of the execution is still running: the local
   * runner waits for its Tasks before it reports one, and a local run that was killed took them with it.
   */
  tasksEnded?: boolean | undefined;
}

/** Reads the state of executions; local runs' ids are UNKNOWN (they cannot be asked). */
export interface Executions {
  describe(executionArn: string): Promise<ExecutionState>;
}

/**
 * Whether a Task Lambda of this ended execution may still be running, and so still write traffic and the
 * record. Step Functions does not stop the Lambda invocation of the Task in flight when an execution is
 * stopped (StopExecution) or times out (the execution timeout): it runs on until it returns or reaches its
 * function timeout. An execution that failed in one of fledge's Fail states got there after its last Task
 * returned (a Task that timed out had its Lambda end first: a Task waits 15 s longer than its function).
 * One that failed in no Fail state (the service's own `States.*` errors, the history limit, or no error
 * name at all) may have stopped mid-Task.
 */
export function tasksMayStillRun(execution: ExecutionState): boolean {
  if (execution.tasksEnded) return false;
  switch (execution.status) {
    case 'ABORTED':
    case 'TIMED_OUT':
      return true;
    case 'FAILED':
      return !execution.error || execution.error.startsWith('States.');
    default:
      return false;
  }
}

/**
 * From when recovery may act on an ended execution: its stop plus `settleSeconds` (the longest a Task
 * Lambda it started may run on) when one may still be running, else at once (undefined). Without a stop
 * date (an event that did not carry it), `now` stands for it: the stop was no later than that.
 */
export function actsFrom(execution: ExecutionState, settleSeconds: number, now: Date): Date | undefined {
  if (!tasksMayStillRun(execution)) return undefined;
  const stopped = execution.stopDate ? Date.parse(execution.stopDate) : Number.NaN;
  const from = (Number.isFinite(stopped) ? stopped : now.getTime()) + settleSeconds * 1000;
  return from > now.getTime() ? new Date(from) : undefined;
}

/**
 * Whether traffic may have moved under this record: a write intended or landed, or a phase after the
 * first weight change. Plan moves none (Route 53's canary values go in at weight 0).
 */
export function trafficMayHaveMoved(record: RolloutRecord): boolean {
  if (!isActive(record.status)) return false;
  if (record.intent) return true;
  if ((record.traffic?.weight ?? 0) > 0) return true;
  return !['planning', 'planned'].includes(record.status);
}

/**
 * Whether a new rollout may take the target from the record's holder: when the record has ended, or its
 * execution is over and left no traffic to restore. Otherwise recovery must restore it first.
 */
export function mayTakeOver(record: RolloutRecord, holder: ExecutionState): boolean {
  if (!isActive(record.status)) return true;
  if (holder.status === 'RUNNING' || holder.status === 'UNKNOWN') return false;
  return !trafficMayHaveMoved(record);
}

/** Why a target is busy, in words a person can act on. */
export function busyReason(record: RolloutRecord, holder: ExecutionState): string {
  const where = `${record.label}: ${record.status}, ${record.traffic?.weight ?? 0}% on the canary`;
  if (holder.status === 'RUNNING')
    return `a rollout of this target is already in progress (${record.owner}, since ${record.since}; ${where}); wait for it to end, or abort it, before starting another`;
  if (holder.status === 'UNKNOWN')
    return `a local rollout holds this target (${record.owner}, since ${record.since}; ${where}); if it is no longer running, run \`fledge recover\` with the same input`;
  return (
    `the previous rollout of this target ended ${holder.status} (${record.owner}) and may have left traffic ` +
    `to restore (${where}); fledge's recovery restores it within minutes, or run \`fledge recover\` with the same input`
  );
}

/** The key of a target's record: what two rollouts must not share. */
export function recordKey(target: Target): string {
  return kindOf(target).key(target);
}

/**
 * How a person names a target and, once known, its two sides: `alias checkout:live (version 1 → 2)`,
 * `records app.example.com A (Z123) ('primary' → 'canary')`.
 */
export function recordLabel(target: Target, sides?: { baseline: string; canary: string }): string {
  return kindOf(target).recordLabel(target, sides);
}

/** How often a local run renews its lease, and how long one lasts unrenewed (four missed heartbeats). */
export const HEARTBEAT_SECONDS = 15;
export const LEASE_SECONDS = 60;

/**
 * A local run's lease on its record: `live` until LEASE_SECONDS after its last heartbeat, by the wall
 * clock (`now`). A deployed execution's record, an ended one, or one no heartbeat ever renewed (a run of
 * an earlier fledge) has none: Step Functions, or a person, says whether its holder runs.
 */
export function localRunLease(
  record: RolloutRecord,
  now: Date,
): { live: boolean; heartbeatAt: string; until: string } | undefined {
  if (!isActive(record.status) || !record.heartbeatAt) return undefined;
  const until = Date.parse(record.heartbeatAt) + LEASE_SECONDS * 1000;
  return {
    live: until > now.getTime(),
    heartbeatAt: record.heartbeatAt,
    until: new Date(until).toISOString(),
  };
}

/** Why a local run's live lease keeps others off its target, naming the run. */
export function liveLeaseReason(
  record: RolloutRecord,
  lease: { heartbeatAt: string; until: string },
): string {
  return (
    `a local run still holds ${record.label} (${record.owner}, ${record.status}, ${record.traffic?.weight ?? 0}% on the canary): ` +
    `its last heartbeat was at ${lease.heartbeatAt}, so its lease runs until ${lease.until}. Ctrl-C in its terminal ` +
    `stops it and restores the baseline; if that process is gone, its lease expires by then`
  );
}

/** How the end of a local run whose lease expired is told to recovery: it died, and its Tasks with it. */
export function expiredLeaseEnd(lease: { heartbeatAt: string }): ExecutionState {
  return {
    status: 'ABORTED',
    cause: `the local run stopped renewing its lease (last heartbeat ${lease.heartbeatAt})`,
    tasksEnded: true,
  };
}

/**
 * The records a release takes at once: at least one, one owner, no target twice (a transaction may not
 * write one item twice, and a release that names a target twice would move it twice).
 */
export function checkRelease(records: readonly RolloutRecord[]): void {
  if (records.length === 0) throw new RangeError('a release takes at least one target');
  const owners = new Set(records.map((r) => r.owner));
  if (owners.size > 1) throw new RangeError(`a release has one owner, got ${[...owners].join(', ')}`);
  const seen = new Map<string, string>();
  for (const record of records) {
    const earlier = seen.get(record.key);
    if (earlier !== undefined)
      throw new RangeError(`${record.label} and ${earlier} are the same target (${record.key})`);
    seen.set(record.key, record.label);
  }
}

/** Why a release was refused: each busy target with who holds it. Nothing was taken. */
export function releaseRefusal(busy: readonly string[]): string {
  return `the release was refused and took none of its targets: ${busy.join('; ')}`;
}

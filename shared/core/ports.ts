/**
 * The two ports the core talks through. Adapters: routers/lambda-alias.ts (and more targets later),
 * metrics/cloudwatch.ts.
 */

import type { SideMinute } from './history';
import type { OperatorCommand, OperatorRequests, Pause } from './operator';
import type { Provisioned, ProvisionedRead } from './provisioned';
import type { RolloutRecord } from './record';
import type { PairedMinute } from './sequential-test';

/** What fledge last wrote (or read, at plan time); a router checks it before every change. */
export interface TrafficContext {
  baseline: string;
  canary: string;
  /** Canary percent currently applied. */
  weight: number;
  /** Opaque token of the last write (Lambda: the alias RevisionId; Route 53: the records as written). */
  revision?: string | undefined;
  /** How long clients may cache a split (Route 53: the records' TTL); steps must outlast it. */
  ttlSeconds?: number | undefined;
  /**
   * How long a request may run (Lambda: the longer timeout of the two versions). Lambda publishes a
   * request's metrics when it ends, stamped with the minute it started, so a minute is complete only
   * this long after it ended.
   */
  requestSeconds?: number | undefined;
  /** What Plan should say about the target as read (ELB: stickiness delays each step's share). */
  note?: string | undefined;
  /**
   * How long after a weight change the requests may still follow the previous weights (ELB: target
   * group stickiness keeps a session on its group this long, so only new sessions follow a new weight).
   */
  shareLagSeconds?: number | undefined;
  /** What the router must remember between steps (Route 53: both records as first read). */
  snapshot?: unknown;
  /**
   * Provisioned capacity of each side as Plan read it (Lambda: the alias's provisioned concurrency, and
   * the canary version's own), from which the kind sizes the canary's (shared/core/provisioned.ts).
   */
  provisioned?: { stable: number; canary: number } | undefined;
}

export interface Applied {
  /** Canary percent now live, as read back from AWS. */
  weight: number;
  revision?: string | undefined;
  detail: string;
}

/** Moves traffic between the stable and the canary side of one target. */
export interface TrafficRouter {
  /**
   * Validates the target and reads the baseline. Throws InvalidInputError and changes nothing if the
   * target, or `check` (run on what was read, before any write), refuses it. May then write what the
   * rollout needs at zero traffic (Route 53: the canary record's new values), unless `readOnly` (a
   * check before starting an execution).
   */
  prepare(
    check?: (context: TrafficContext) => void,
    options?: { readOnly?: boolean },
  ): Promise<TrafficContext>;
  /** Routes `weight` percent to the canary, after checking nobody else changed the split. */
  setWeight(weight: number, context: TrafficContext): Promise<Applied>;
  /** All traffic to the canary, which becomes the new stable. */
  promote(context: TrafficContext): Promise<Applied>;
  /** All traffic back to the baseline. */
  rollback(context: TrafficContext): Promise<Applied>;
  /**
   * The live split, read from AWS. When traffic is split between the target's two sides alone, the
   * context a rollback needs (for a target with no rollout record); otherwise why it is not clear-cut.
   */
  inspect(): Promise<LiveSplit>;
  /**
   * Capacity the canary side needs before it takes traffic (Lambda: provisioned concurrency on the new
   * version): asks for `plan` unless it is there already (a retried request finds its own), then reads its
   * status. A kind without such capacity leaves this out.
   */
  provision?(plan: Provisioned): Promise<ProvisionedRead>;
  /**
   * Removes what `provision` asked for, unless someone else changed it since, which it leaves as it is
   * (`removed: false`); a removal already done is success. Read back after the removal.
   */
  unprovision?(plan: Provisioned): Promise<{ removed: boolean; detail: string }>;
}

export interface LiveSplit {
  /** e.g. "90% to version 6, 10% to version 7". */
  summary: string;
  /** Traffic is shared between two sides. */
  split: boolean;
  /** Present when the split involves only the target's two sides, so a rollback is unambiguous. */
  context?: TrafficContext;
  /** Why a rollback without a record would be a guess. */
  ambiguity?: string;
}

/** A CloudWatch metric, by namespace, name and exact dimensions. */
export interface MetricRef {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
}

/** Request and error counts of each arm (summed per minute). */
export interface CountsQuery {
  canary: { requests: MetricRef; errors: MetricRef };
  baseline: { requests: MetricRef; errors: MetricRef };
}

/**
 * One latency statistic (e.g. p99) compared minute by minute: each arm's metric, and the thresholds fixed
 * at Plan above which a request counts as slow (read as CloudWatch's `TC(threshold:)`).
 */
export interface LatencyQuery {
  statistic: string;
  canary: MetricRef;
  baseline: MetricRef;
  thresholds: { canary: number; baseline: number };
}

/** The stable side alone, minute by minute: what Plan reads of its last hour. */
export interface SideQuery {
  requests: MetricRef;
  errors: MetricRef;
  /** Latency samples, and how many were above `threshold`, per statistic. */
  latency?: Array<{ statistic: string; metric: MetricRef; threshold: number }>;
}

/** Reads what the analysis judges. */
export interface MetricsSource {
  /**
   * Per-minute counts of both arms over [start, end), minutes aligned, zero where nothing was published;
   * an error series without a datapoint while its arm served requests is listed in the minute's `missing`.
   * With latency queries, each minute also carries the arms' samples and slow requests per statistic.
   */
  pairedMinutes(
    query: CountsQuery,
    window: { start: Date; end: Date },
    latency?: readonly LatencyQuery[],
  ): Promise<PairedMinute[]>;
  /** Per-minute counts of one side over [start, end), for the minutes in which it served requests. */
  sideMinutes(query: SideQuery, window: { start: Date; end: Date }): Promise<SideMinute[]>;
  /** One statistic (e.g. p99) of a metric over [start, end) as a single period; null without data. */
  statistic(metric: MetricRef, statistic: string, window: { start: Date; end: Date }): Promise<number | null>;
  /** The named alarms that are in ALARM now. */
  alarmsInAlarm(names: readonly string[]): Promise<string[]>;
  /** The named alarms that do not exist. */
  missingAlarms(names: readonly string[]): Promise<string[]>;
  /**
   * The metrics of which CloudWatch lists no series with exactly these dimensions (ListMetrics: a series
   * is listed from its first datapoint until two weeks after its last).
   */
  unlistedMetrics(metrics: readonly MetricRef[]): Promise<MetricRef[]>;
  /** The Route 53 health checks, of those named, that most checkers now report as failing. */
  unhealthyChecks(ids: readonly string[]): Promise<string[]>;
  /** Why each named health check cannot be watched (it does not exist, or its status cannot be read). */
  unwatchableChecks(ids: readonly string[]): Promise<string[]>;
}

/**
 * The rollout records and the event claims, in one table (shared/aws/records.ts). Every write is
 * conditional on the owner, so a resend after a lost response lands the same way.
 */
export interface RolloutRecords {
  /**
   * Takes the target for `record.owner` (again, if it already holds it: a retried Plan).
   * @throws RolloutInProgressError when another execution holds it and may not be taken over.
   */
  acquire(record: RolloutRecord): Promise<void>;
  /**
   * Takes every target of a release for the records' one owner, all or none (DynamoDB
   * TransactWriteItems): a release refused because one target is busy holds none of them.
   * @throws RolloutInProgressError naming every target another execution holds; nothing was taken.
   */
  acquireAll(records: readonly RolloutRecord[]): Promise<void>;
  /** Replaces the record's state while `owner` holds it (the write ahead of a traffic change, and after). */
  save(record: RolloutRecord): Promise<void>;
  /**
   * Renews a local run's lease on its record (`heartbeatAt`, kept beside the record's state).
   * @throws TrafficConflictError when `owner` no longer holds an active record: the target was taken.
   */
  heartbeat(key: string, owner: string, at: string): Promise<void>;
  /** Ends the record and frees the target, if `record.owner` still holds it. */
  finish(record: RolloutRecord): Promise<void>;
  get(key: string): Promise<RolloutRecord | undefined>;
  /** The record an execution held or holds (a release's: its first target's). */
  forExecution(owner: string): Promise<RolloutRecord | undefined>;
  /** Every record an execution held or holds, in the release's order: one for a single rollout. */
  allForExecution(owner: string): Promise<RolloutRecord[]>;
  /** Every record that still holds its target. */
  active(): Promise<RolloutRecord[]>;
  /**
   * The first target's record of the newest release by that name, ended or not (as `get` gives a
   * target's last rollout); undefined when none is on record, or its targets were taken since.
   */
  forRelease(name: string): Promise<RolloutRecord | undefined>;
  /** Records that `eventId` started `owner`; returns the earlier owner if the event was seen before. */
  claimEvent(eventId: string, owner: string, now: Date): Promise<string | undefined>;
  /** Forgets a claim, so a later delivery of the event is tried again (its rollout was refused). */
  releaseEvent(eventId: string, owner: string): Promise<void>;
  /** The operator requests beside a target's record (the steps' writes never touch them). */
  requests(key: string): Promise<OperatorRequests>;
  /**
   * Leaves a request for the rollout `owner` holds: a one-shot command, or a pause set or lifted.
   * @throws RequestRefusedError when the rollout no longer holds the target, or the change does not apply
   *   (pausing a paused rollout, resuming one that is not paused, a command while another is pending that
   *   it may not replace: see pendingCommandRefusal).
   */
  request(key: string, owner: string, change: RequestChange): Promise<void>;
  /** Removes a command a check has applied (if it is still the one beside the record). */
  clearCommand(key: string, id: string): Promise<void>;
}

export type RequestChange =
  | {
      command: OperatorCommand;
      /**
       * The id of the pending command this one takes the place of, as the caller read it: one a check has
       * already applied (its clear was lost), or a non-abort an abort replaces. The write fails if another
       * command is pending by then.
       */
      replacing?: string | undefined;
    }
  | { pause: Pause }
  | { resume: true };

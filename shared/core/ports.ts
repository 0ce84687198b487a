/**
 * The two ports the core talks through. Adapters: routers/lambda-alias.ts (and more targets later),
 * metrics/cloudwatch.ts.
 */
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
  /** What the router must remember between steps (Route 53: both records as first read). */
  snapshot?: unknown;
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
   * rollout needs at zero traffic (Route 53: the canary record's new values).
   */
  prepare(check?: (context: TrafficContext) => void): Promise<TrafficContext>;
  /** Routes `weight` percent to the canary, after checking nobody else changed the split. */
  setWeight(weight: number, context: TrafficContext): Promise<Applied>;
  /** All traffic to the canary, which becomes the new stable. */
  promote(context: TrafficContext): Promise<Applied>;
  /** All traffic back to the baseline. */
  rollback(context: TrafficContext): Promise<Applied>;
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

/** One percentile statistic of each arm, over a whole window. */
export interface LatencyQuery {
  canary: MetricRef;
  baseline: MetricRef;
  statistic: string;
}

/** Reads what the analysis judges. */
export interface MetricsSource {
  /** Per-minute counts of both arms over [start, end), minutes aligned, zero where nothing was published. */
  pairedMinutes(query: CountsQuery, window: { start: Date; end: Date }): Promise<PairedMinute[]>;
  /** The named alarms that are in ALARM now. */
  alarmsInAlarm(names: readonly string[]): Promise<string[]>;
  /** The named alarms that do not exist. */
  missingAlarms(names: readonly string[]): Promise<string[]>;
  /** The statistic of each arm over [start, end) as one period; null where there is no data. */
  percentiles(
    query: LatencyQuery,
    window: { start: Date; end: Date },
  ): Promise<{ canary: number | null; baseline: number | null }>;
  /** The Route 53 health checks, of those named, that most checkers now report as failing. */
  unhealthyChecks(ids: readonly string[]): Promise<string[]>;
}

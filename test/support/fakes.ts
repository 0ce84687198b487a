/** In-memory stand-ins for the ports, for tests of the core and of the state machine. */

import { MemoryRolloutRecords } from '../../cli/shared/memory-records';
import type { EventPublisher, LifecycleEvent } from '../../shared/aws/events';
import { VirtualClock } from '../../shared/core/clock';
import { InvalidInputError } from '../../shared/core/errors';
import type { SideMinute } from '../../shared/core/history';
import type { OperatorCommand } from '../../shared/core/operator';
import type {
  Applied,
  CountsQuery,
  LiveSplit,
  MetricRef,
  MetricsSource,
  RequestChange,
  SideQuery,
  TrafficContext,
  TrafficRouter,
} from '../../shared/core/ports';
import type { Provisioned, ProvisionedRead, ProvisionedStatus } from '../../shared/core/provisioned';
import type { ExecutionState, Executions } from '../../shared/core/record';
import type { PairedMinute } from '../../shared/core/sequential-test';
import type { Deps } from '../../shared/steps/deps';

/** A Lambda-alias-like split held in memory; records every call. */
export class FakeRouter implements TrafficRouter {
  weight = 0;
  version = '1';
  readonly calls: string[] = [];
  /** Errors to throw, by method, one per call until empty. */
  readonly failures: Partial<
    Record<'prepare' | 'setWeight' | 'promote' | 'rollback' | 'provision' | 'unprovision', Error[]>
  > = {};
  /** Provisioned concurrency as Plan reads it (the alias's, the canary version's own); none when unset. */
  provisioned: { stable: number; canary: number } | undefined;
  /** The canary version's provisioned concurrency now, as AWS would hold it. */
  canaryProvisioned: number | undefined;
  /** The statuses successive reads of it report; the last one repeats. */
  provisionStatuses: ProvisionedStatus[] = ['READY'];

  constructor(
    readonly canary = '2',
    readonly knownVersions = ['1', '2'],
  ) {}

  /** How long clients cache the split (set it to act like a DNS target). */
  ttlSeconds: number | undefined;

  /** How long a request may run (set it to act like a Lambda function with that timeout). */
  requestSeconds: number | undefined;

  async prepare(check?: (context: TrafficContext) => void): Promise<TrafficContext> {
    this.maybeFail('prepare');
    if (!this.knownVersions.includes(this.canary))
      throw new InvalidInputError(`target.version '${this.canary}' is not a published version`);
    const context = {
      baseline: this.version,
      canary: this.canary,
      weight: this.weight,
      ttlSeconds: this.ttlSeconds,
      ...(this.requestSeconds === undefined ? {} : { requestSeconds: this.requestSeconds }),
      ...(this.provisioned ? { provisioned: this.provisioned } : {}),
    };
    check?.(context);
    return context;
  }

  async setWeight(weight: number, context: TrafficContext): Promise<Applied> {
    this.calls.push(`setWeight:${weight}`);
    this.maybeFail('setWeight');
    this.weight = weight;
    this.version = context.baseline;
    return { weight, detail: `${weight}%` };
  }

  async promote(context: TrafficContext): Promise<Applied> {
    this.calls.push('promote');
    this.maybeFail('promote');
    this.version = context.canary;
    this.weight = 0;
    return { weight: 100, detail: 'promoted' };
  }

  async rollback(context: TrafficContext): Promise<Applied> {
    this.calls.push('rollback');
    this.maybeFail('rollback');
    this.version = context.baseline;
    this.weight = 0;
    return { weight: 0, detail: 'rolled back' };
  }

  async provision(plan: Provisioned): Promise<ProvisionedRead> {
    this.maybeFail('provision');
    this.canaryProvisioned ??= plan.count;
    const status =
      this.provisionStatuses.length > 1
        ? (this.provisionStatuses.shift() as ProvisionedStatus)
        : this.provisionStatuses[0];
    this.calls.push(`provision:${plan.count}:${status}`);
    return {
      status: status ?? 'READY',
      ...(status === 'FAILED' ? { reason: 'FUNCTION_ERROR_INIT_FAILURE' } : {}),
    };
  }

  async unprovision(plan: Provisioned): Promise<{ removed: boolean; detail: string }> {
    this.calls.push('unprovision');
    this.maybeFail('unprovision');
    if (this.canaryProvisioned !== undefined && this.canaryProvisioned !== plan.count) {
      return {
        removed: false,
        detail: `version ${plan.version} has ${this.canaryProvisioned}; left as it is`,
      };
    }
    this.canaryProvisioned = undefined;
    return { removed: true, detail: `removed ${plan.count}` };
  }

  async inspect(): Promise<LiveSplit> {
    const summary =
      this.weight > 0
        ? `${100 - this.weight}% to ${this.version}, ${this.weight}% to ${this.canary}`
        : `100% to ${this.version}`;
    if (this.weight === 0) return { summary, split: false };
    return {
      summary,
      split: true,
      context: { baseline: this.version, canary: this.canary, weight: this.weight },
    };
  }

  private maybeFail(method: keyof FakeRouter['failures']): void {
    const error = this.failures[method]?.shift();
    if (error) throw error;
  }
}

/** Serves per-minute counts from a function of the minute and the router's current weight. */
export class FakeMetrics implements MetricsSource {
  readonly windows: Array<{ start: Date; end: Date }> = [];
  alarms: string[] = [];
  existingAlarms: string[] = [];
  /** The stable side's last hour, minute by minute (no traffic by default). */
  history: (at: Date, query: SideQuery) => SideMinute | undefined = () => undefined;
  /** Statistics of the stable side over its last hour, e.g. { p99: 120 }; others have no data. */
  stableStatistics: Record<string, number> = {};
  /** How many times the alarms were read. */
  alarmReads = 0;
  unhealthy: string[] = [];

  constructor(private readonly minute: (at: Date) => PairedMinute | undefined) {}

  async pairedMinutes(_query: CountsQuery, window: { start: Date; end: Date }): Promise<PairedMinute[]> {
    this.windows.push(window);
    const out: PairedMinute[] = [];
    for (let t = window.start.getTime(); t < window.end.getTime(); t += 60_000) {
      const m = this.minute(new Date(t));
      if (m) out.push(m);
    }
    return out;
  }

  async sideMinutes(query: SideQuery, window: { start: Date; end: Date }): Promise<SideMinute[]> {
    const out: SideMinute[] = [];
    for (let t = window.start.getTime(); t < window.end.getTime(); t += 60_000) {
      const m = this.history(new Date(t), query);
      if (m && m.requests > 0) out.push(m);
    }
    return out;
  }

  async statistic(_metric: MetricRef, statistic: string): Promise<number | null> {
    return this.stableStatistics[statistic] ?? null;
  }

  async alarmsInAlarm(names: readonly string[]): Promise<string[]> {
    this.alarmReads += 1;
    return names.filter((n) => this.alarms.includes(n));
  }

  async missingAlarms(names: readonly string[]): Promise<string[]> {
    return names.filter((n) => !this.existingAlarms.includes(n));
  }

  /** Series CloudWatch lists no datapoint of, as `namespace metricName {dimensions JSON}`; default none. */
  unlisted: string[] = [];

  async unlistedMetrics(metrics: readonly MetricRef[]): Promise<MetricRef[]> {
    return metrics.filter((m) =>
      this.unlisted.includes(`${m.namespace} ${m.metricName} ${JSON.stringify(m.dimensions)}`),
    );
  }

  async unhealthyChecks(ids: readonly string[]): Promise<string[]> {
    return ids.filter((id) => this.unhealthy.includes(id));
  }

  /** Health checks that do not exist, or that are calculated (their status cannot be read). */
  missingChecks: string[] = [];
  calculatedChecks: string[] = [];

  async unwatchableChecks(ids: readonly string[]): Promise<string[]> {
    return ids.flatMap((id) =>
      this.missingChecks.includes(id)
        ? [`no Route 53 health check '${id}'`]
        : this.calculatedChecks.includes(id)
          ? [`'${id}' is a calculated health check`]
          : [],
    );
  }
}

/** Counts where each arm fails at a fixed rate, with `requests` per minute split by `canaryShare`. */
export function steadyMinute(
  at: Date,
  requests: number,
  canaryShare: number,
  canaryRate: number,
  baselineRate: number,
): PairedMinute {
  const canary = Math.round(requests * canaryShare);
  const baseline = requests - canary;
  return {
    at: at.toISOString(),
    canary: { requests: canary, errors: Math.round(canary * canaryRate) },
    baseline: { requests: baseline, errors: Math.round(baseline * baselineRate) },
  };
}

/** Records published lifecycle events. */
export class FakeEvents implements EventPublisher {
  readonly published: Array<{ detailType: LifecycleEvent; detail: Record<string, unknown> }> = [];

  async publish(detailType: LifecycleEvent, detail: Record<string, unknown>): Promise<void> {
    this.published.push({ detailType, detail });
  }
}

export const T0 = new Date('2026-11-02T10:00:00.000Z');

/** Step Functions executions by ARN; any other is UNKNOWN, as a local run is. */
export class FakeExecutions implements Executions {
  readonly states = new Map<string, ExecutionState>();

  async describe(executionArn: string): Promise<ExecutionState> {
    return this.states.get(executionArn) ?? { status: 'UNKNOWN' };
  }
}

export interface FakeDeps extends Deps {
  clock: VirtualClock;
  records: MemoryRolloutRecords;
  events: FakeEvents;
  executions: FakeExecutions;
}

export function fakeDeps(
  router: FakeRouter,
  metrics: FakeMetrics,
  options: { start?: Date; tags?: Record<string, Record<string, string>>; missingHooks?: string[] } = {},
): FakeDeps {
  const executions = new FakeExecutions();
  return {
    clock: new VirtualClock(options.start ?? T0),
    router: () => router,
    metrics,
    events: new FakeEvents(),
    tags: async (arn) => options.tags?.[arn] ?? {},
    hooks: async (ref) =>
      options.missingHooks?.includes(ref) ? `there is no Lambda function ${ref}` : undefined,
    executions,
    records: new MemoryRolloutRecords(executions),
  };
}

/** An operator's request (`fledge pause`, `promote`, ...) as the commands leave it beside the record. */
export const operatorCommand = (
  action: OperatorCommand['action'],
  extra: Partial<OperatorCommand> = {},
): RequestChange => ({
  command: {
    id: `${action}-${Math.random().toString(36).slice(2)}`,
    action,
    reason: `${action} by the test`,
    by: 'arn:aws:iam::123456789012:user/ops',
    at: '2026-11-02T10:03:00.000Z',
    ...extra,
  },
});

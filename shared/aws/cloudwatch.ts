import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricDataQuery,
  paginateGetMetricData,
} from '@aws-sdk/client-cloudwatch';
import { GetHealthCheckStatusCommand, type Route53Client } from '@aws-sdk/client-route-53';
import { MINUTE_MS } from '../core/clock';
import { awsCall } from '../core/errors';
import type { CountsQuery, LatencyQuery, MetricRef, MetricsSource } from '../core/ports';
import type { PairedMinute } from '../core/sequential-test';
import { cloudWatchClient, route53Client } from './clients';

const SERIES = ['canaryRequests', 'canaryErrors', 'baselineRequests', 'baselineErrors'] as const;
type Series = (typeof SERIES)[number];

/**
 * Reads per-minute Sum counts with GetMetricData and computes rates in code. (Metric math would do the
 * division server-side, but fledge needs the raw counts for its test, and emulators return no math.)
 */
export class CloudWatchMetricsSource implements MetricsSource {
  constructor(
    private readonly client: CloudWatchClient = cloudWatchClient(),
    private readonly route53: () => Route53Client = route53Client,
  ) {}

  async pairedMinutes(query: CountsQuery, window: { start: Date; end: Date }): Promise<PairedMinute[]> {
    const refs: Record<Series, MetricRef> = {
      canaryRequests: query.canary.requests,
      canaryErrors: query.canary.errors,
      baselineRequests: query.baseline.requests,
      baselineErrors: query.baseline.errors,
    };
    const queries: MetricDataQuery[] = SERIES.map((id) => ({
      Id: id,
      ReturnData: true,
      MetricStat: { Metric: toMetric(refs[id]), Period: 60, Stat: 'Sum' },
    }));
    const values = new Map<number, Record<Series, number>>();
    for (let t = window.start.getTime(); t < window.end.getTime(); t += MINUTE_MS) {
      values.set(t, { canaryRequests: 0, canaryErrors: 0, baselineRequests: 0, baselineErrors: 0 });
    }
    await awsCall('cloudwatch:GetMetricData', async () => {
      const pages = paginateGetMetricData(
        { client: this.client },
        {
          StartTime: window.start,
          EndTime: window.end,
          ScanBy: 'TimestampAscending',
          MetricDataQueries: queries,
        },
      );
      for await (const page of pages) {
        for (const result of page.MetricDataResults ?? []) {
          const id = result.Id as Series;
          (result.Timestamps ?? []).forEach((timestamp, i) => {
            const row = values.get(Math.floor(timestamp.getTime() / MINUTE_MS) * MINUTE_MS);
            if (row) row[id] += result.Values?.[i] ?? 0;
          });
        }
      }
    });
    return [...values.entries()].map(([t, v]) => ({
      at: new Date(t).toISOString(),
      canary: { requests: v.canaryRequests, errors: v.canaryErrors },
      baseline: { requests: v.baselineRequests, errors: v.baselineErrors },
    }));
  }

  async percentiles(
    query: LatencyQuery,
    window: { start: Date; end: Date },
  ): Promise<{ canary: number | null; baseline: number | null }> {
    // Percentiles of minutes cannot be combined, so the whole window is one period.
    const period = Math.max(60, Math.floor((window.end.getTime() - window.start.getTime()) / MINUTE_MS) * 60);
    const stat = (id: string, ref: MetricRef): MetricDataQuery => ({
      Id: id,
      ReturnData: true,
      MetricStat: { Metric: toMetric(ref), Period: period, Stat: query.statistic },
    });
    const out: { canary: number | null; baseline: number | null } = { canary: null, baseline: null };
    const page = await awsCall('cloudwatch:GetMetricData', () =>
      this.client.send(
        new GetMetricDataCommand({
          StartTime: window.start,
          EndTime: new Date(window.start.getTime() + period * 1000),
          MetricDataQueries: [stat('canary', query.canary), stat('baseline', query.baseline)],
        }),
      ),
    );
    for (const result of page.MetricDataResults ?? []) {
      const value = result.Values?.[0];
      if (value !== undefined && (result.Id === 'canary' || result.Id === 'baseline')) out[result.Id] = value;
    }
    return out;
  }

  async unhealthyChecks(ids: readonly string[]): Promise<string[]> {
    const unhealthy = await Promise.all(
      ids.map(async (id) => {
        const status = await awsCall('route53:GetHealthCheckStatus', () =>
          this.route53().send(new GetHealthCheckStatusCommand({ HealthCheckId: id })),
        );
        const reports = (status.HealthCheckObservations ?? []).map((o) => o.StatusReport?.Status ?? '');
        // Route 53 calls a check unhealthy when most of its checkers see a failure; so does fledge.
        const failing = reports.filter((r) => r.startsWith('Failure')).length;
        return reports.length > 0 && failing * 2 > reports.length;
      }),
    );
    return ids.filter((_, i) => unhealthy[i]);
  }

  async alarmsInAlarm(names: readonly string[]): Promise<string[]> {
    const alarms = await this.describe(names);
    return alarms.filter((a) => a.state === 'ALARM').map((a) => a.name);
  }

  async missingAlarms(names: readonly string[]): Promise<string[]> {
    const found = new Set((await this.describe(names)).map((a) => a.name));
    return names.filter((n) => !found.has(n));
  }

  private async describe(names: readonly string[]): Promise<Array<{ name: string; state: string }>> {
    if (names.length === 0) return [];
    const out: Array<{ name: string; state: string }> = [];
    // DescribeAlarms takes at most 100 names per call.
    for (let i = 0; i < names.length; i += 100) {
      const batch = names.slice(i, i + 100);
      const page = await awsCall('cloudwatch:DescribeAlarms', () =>
        this.client.send(
          new DescribeAlarmsCommand({ AlarmNames: batch, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }),
        ),
      );
      for (const a of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
        if (a.AlarmName) out.push({ name: a.AlarmName, state: a.StateValue ?? 'INSUFFICIENT_DATA' });
      }
    }
    return out;
  }
}

function toMetric(ref: MetricRef) {
  return {
    Namespace: ref.namespace,
    MetricName: ref.metricName,
    Dimensions: Object.entries(ref.dimensions).map(([Name, Value]) => ({ Name, Value })),
  };
}

/**
 * AWS/Lambda counts for one alias, split by ExecutedVersion: the dimensions Lambda publishes for
 * weighted aliases (FunctionName, Resource = "function:alias", ExecutedVersion).
 */
export function lambdaAliasCounts(
  functionName: string,
  alias: string,
  baseline: string,
  canary: string,
): CountsQuery {
  const name = functionName.includes(':function:')
    ? (functionName.split(':function:')[1] ?? functionName)
    : functionName;
  const ref = (metricName: string, version: string): MetricRef => ({
    namespace: 'AWS/Lambda',
    metricName,
    dimensions: { FunctionName: name, Resource: `${name}:${alias}`, ExecutedVersion: version },
  });
  return {
    canary: { requests: ref('Invocations', canary), errors: ref('Errors', canary) },
    baseline: { requests: ref('Invocations', baseline), errors: ref('Errors', baseline) },
  };
}

/** An AWS/Lambda metric of one version behind an alias. */
export function lambdaVersionMetric(
  functionName: string,
  alias: string,
): (metricName: string, version: string) => MetricRef {
  const name = functionName.includes(':function:')
    ? (functionName.split(':function:')[1] ?? functionName)
    : functionName;
  return (metricName, version) => ({
    namespace: 'AWS/Lambda',
    metricName,
    dimensions: { FunctionName: name, Resource: `${name}:${alias}`, ExecutedVersion: version },
  });
}

import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  type MetricDataQuery,
  paginateGetMetricData,
} from '@aws-sdk/client-cloudwatch';
import { cloudWatchClient } from '../aws-clients';
import { MINUTE_MS } from '../clock';
import { awsCall } from '../errors';
import type { CountsQuery, MetricRef, MetricsSource } from '../ports';
import type { PairedMinute } from '../sequential-test';

const SERIES = ['canaryRequests', 'canaryErrors', 'baselineRequests', 'baselineErrors'] as const;
type Series = (typeof SERIES)[number];

/**
 * Reads per-minute Sum counts with GetMetricData and computes rates in code. (Metric math would do the
 * division server-side, but fledge needs the raw counts for its test, and emulators return no math.)
 */
export class CloudWatchMetricsSource implements MetricsSource {
  constructor(private readonly client: CloudWatchClient = cloudWatchClient()) {}

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
      MetricStat: {
        Metric: {
          Namespace: refs[id].namespace,
          MetricName: refs[id].metricName,
          Dimensions: Object.entries(refs[id].dimensions).map(([Name, Value]) => ({ Name, Value })),
        },
        Period: 60,
        Stat: 'Sum',
      },
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

import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  ListMetricsCommand,
  type MetricDataQuery,
  type MetricDataResult,
  paginateGetMetricData,
} from '@aws-sdk/client-cloudwatch';
import {
  GetHealthCheckCommand,
  GetHealthCheckStatusCommand,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { MINUTE_MS } from '../core/clock';
import { awsCall, MetricDataError, TransientAwsError } from '../core/errors';
import type { SideMinute } from '../core/history';
import type { CountsQuery, LatencyQuery, MetricRef, MetricsSource, SideQuery } from '../core/ports';
import type { PairedMinute } from '../core/sequential-test';
import { cloudWatchClient, route53Client } from './clients';

/** A series to read per minute: its query id, metric and statistic. */
interface SeriesSpec {
  id: string;
  ref: MetricRef;
  stat: string;
  /** How messages name it, e.g. "canary" or "stable side". */
  label: string;
}

/**
 * Reads per-minute Sum counts (and, for latency, SampleCount and `TC(t:)`, the number of samples above t)
 * with GetMetricData, and does the arithmetic in code. (Metric math would do it server-side, but fledge
 * needs the raw counts for its tests, and emulators return no math.)
 */
export class CloudWatchMetricsSource implements MetricsSource {
  constructor(
    private readonly client: CloudWatchClient = cloudWatchClient(),
    private readonly route53: () => Route53Client = route53Client,
  ) {}

  async pairedMinutes(
    query: CountsQuery,
    window: { start: Date; end: Date },
    latency: readonly LatencyQuery[] = [],
  ): Promise<PairedMinute[]> {
    const specs: SeriesSpec[] = [
      { id: 'canaryRequests', ref: query.canary.requests, stat: 'Sum', label: 'canary' },
      { id: 'canaryErrors', ref: query.canary.errors, stat: 'Sum', label: 'canary' },
      { id: 'baselineRequests', ref: query.baseline.requests, stat: 'Sum', label: 'baseline' },
      { id: 'baselineErrors', ref: query.baseline.errors, stat: 'Sum', label: 'baseline' },
      ...latency.flatMap((l, i) => [
        { id: `lat${i}CanarySamples`, ref: l.canary, stat: 'SampleCount', label: 'canary' },
        { id: `lat${i}CanarySlow`, ref: l.canary, stat: slowerThan(l.thresholds.canary), label: 'canary' },
        { id: `lat${i}BaselineSamples`, ref: l.baseline, stat: 'SampleCount', label: 'baseline' },
        {
          id: `lat${i}BaselineSlow`,
          ref: l.baseline,
          stat: slowerThan(l.thresholds.baseline),
          label: 'baseline',
        },
      ]),
    ];
    const read = await this.perMinute(specs, window);
    return read.minutes.map((t) => {
      const value = (id: string) => read.values.get(id)?.get(t);
      const arm = (name: 'canary' | 'baseline') => ({
        requests: value(`${name}Requests`) ?? 0,
        errors: value(`${name}Errors`) ?? 0,
      });
      const canary = arm('canary');
      const baseline = arm('baseline');
      // Zero and "not published" differ only for errors: a side that served requests must report them.
      const missing = (['canary', 'baseline'] as const).filter(
        (name) =>
          (name === 'canary' ? canary : baseline).requests > 0 && value(`${name}Errors`) === undefined,
      );
      const slow = (i: number, name: 'Canary' | 'Baseline') => ({
        samples: value(`lat${i}${name}Samples`) ?? 0,
        // TC counts the samples above the threshold; a period with samples and none above it reads 0.
        slow: value(`lat${i}${name}Slow`) ?? 0,
      });
      return {
        at: new Date(t).toISOString(),
        canary,
        baseline,
        ...(missing.length > 0 ? { missing: missing.map((name) => `${name}.errors`) } : {}),
        ...(latency.length > 0
          ? {
              latency: Object.fromEntries(
                latency.map((l, i) => [
                  l.statistic,
                  { canary: slow(i, 'Canary'), baseline: slow(i, 'Baseline') },
                ]),
              ),
            }
          : {}),
      };
    });
  }

  async sideMinutes(query: SideQuery, window: { start: Date; end: Date }): Promise<SideMinute[]> {
    const latency = query.latency ?? [];
    const specs: SeriesSpec[] = [
      { id: 'requests', ref: query.requests, stat: 'Sum', label: 'stable side' },
      { id: 'errors', ref: query.errors, stat: 'Sum', label: 'stable side' },
      ...latency.flatMap((l, i) => [
        { id: `lat${i}Samples`, ref: l.metric, stat: 'SampleCount', label: 'stable side' },
        { id: `lat${i}Slow`, ref: l.metric, stat: slowerThan(l.threshold), label: 'stable side' },
      ]),
    ];
    const read = await this.perMinute(specs, window);
    const out: SideMinute[] = [];
    for (const t of read.minutes) {
      const value = (id: string) => read.values.get(id)?.get(t);
      const requests = value('requests') ?? 0;
      if (requests <= 0) continue;
      out.push({
        at: new Date(t).toISOString(),
        requests,
        errors: value('errors') ?? 0,
        ...(latency.length > 0
          ? {
              latency: Object.fromEntries(
                latency.map((l, i) => [
                  l.statistic,
                  { samples: value(`lat${i}Samples`) ?? 0, slow: value(`lat${i}Slow`) ?? 0 },
                ]),
              ),
            }
          : {}),
      });
    }
    return out;
  }

  async statistic(
    metric: MetricRef,
    statistic: string,
    window: { start: Date; end: Date },
  ): Promise<number | null> {
    // Percentiles of minutes cannot be combined, so the whole window is one period.
    const period = Math.max(60, Math.floor((window.end.getTime() - window.start.getTime()) / MINUTE_MS) * 60);
    const page = await awsCall('cloudwatch:GetMetricData', () =>
      this.client.send(
        new GetMetricDataCommand({
          StartTime: window.start,
          EndTime: new Date(window.start.getTime() + period * 1000),
          MetricDataQueries: [
            {
              Id: 'statistic',
              ReturnData: true,
              MetricStat: { Metric: toMetric(metric), Period: period, Stat: statistic },
            },
          ],
        }),
      ),
    );
    const result = page.MetricDataResults?.find((r) => r.Id === 'statistic');
    if (result) {
      const spec = { id: 'statistic', ref: metric, stat: statistic, label: 'stable side' };
      incomplete(spec, result, true);
    }
    const value = result?.Values?.[0];
    return value === undefined ? null : value;
  }

  /** Every series per 60 s over the window: the minutes, and each series' values by minute. */
  private async perMinute(
    specs: readonly SeriesSpec[],
    window: { start: Date; end: Date },
  ): Promise<{ minutes: number[]; values: Map<string, Map<number, number>> }> {
    const minutes: number[] = [];
    for (let t = window.start.getTime(); t < window.end.getTime(); t += MINUTE_MS) minutes.push(t);
    const values = new Map<string, Map<number, number>>(specs.map((s) => [s.id, new Map()]));
    const queries: MetricDataQuery[] = specs.map((s) => ({
      Id: s.id,
      ReturnData: true,
      MetricStat: { Metric: toMetric(s.ref), Period: 60, Stat: s.stat },
    }));
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
          const series = values.get(result.Id ?? '');
          const spec = specs.find((s) => s.id === result.Id);
          if (!series || !spec) continue;
          incomplete(spec, result, page.NextToken === undefined);
          (result.Timestamps ?? []).forEach((timestamp, i) => {
            const t = Math.floor(timestamp.getTime() / MINUTE_MS) * MINUTE_MS;
            const v = result.Values?.[i];
            if (v !== undefined && t >= window.start.getTime() && t < window.end.getTime()) {
              series.set(t, (series.get(t) ?? 0) + v);
            }
          });
        }
      }
    });
    return { minutes, values };
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

  /**
   * Why each named health check cannot be watched: it does not exist (every check would fail, and three
   * failed checks roll back a healthy canary), or it is calculated, whose status GetHealthCheckStatus does
   * not return (AWS: use the console or CloudWatch), so it would never be seen failing.
   */
  async unwatchableChecks(ids: readonly string[]): Promise<string[]> {
    const problems = await Promise.all(
      ids.map(async (id) => {
        const found = await awsCall('route53:GetHealthCheck', () =>
          this.route53().send(new GetHealthCheckCommand({ HealthCheckId: id })),
        ).catch((error: unknown) => {
          if ((error as Error).name === 'NoSuchHealthCheck') return undefined;
          throw error;
        });
        if (!found?.HealthCheck) return `no Route 53 health check '${id}' in this account`;
        if (found.HealthCheck.HealthCheckConfig?.Type === 'CALCULATED') {
          return (
            `'${id}' is a calculated health check, whose status Route 53 does not return to ` +
            'GetHealthCheckStatus, so fledge would never see it fail: name the health checks it combines, or ' +
            'a CloudWatch alarm on its HealthCheckStatus metric in analysis.alarms'
          );
        }
        return undefined;
      }),
    );
    return problems.filter((p): p is string => p !== undefined);
  }

  async alarmsInAlarm(names: readonly string[]): Promise<string[]> {
    const alarms = await this.describe(names);
    return alarms.filter((a) => a.state === 'ALARM').map((a) => a.name);
  }

  async missingAlarms(names: readonly string[]): Promise<string[]> {
    const found = new Set((await this.describe(names)).map((a) => a.name));
    return names.filter((n) => !found.has(n));
  }

  async unlistedMetrics(metrics: readonly MetricRef[]): Promise<MetricRef[]> {
    const listed = await Promise.all(metrics.map((metric) => this.isListed(metric)));
    return metrics.filter((_, i) => !listed[i]);
  }

  /**
   * ListMetrics filters on the dimensions it is given but also returns series with more of them, while
   * GetMetricData reads only the series whose dimension set is exactly the query's: so match exactly.
   */
  private async isListed(metric: MetricRef): Promise<boolean> {
    const wanted = Object.entries(metric.dimensions);
    let NextToken: string | undefined;
    do {
      const page = await awsCall('cloudwatch:ListMetrics', () =>
        this.client.send(
          new ListMetricsCommand({
            Namespace: metric.namespace,
            MetricName: metric.metricName,
            Dimensions: wanted.map(([Name, Value]) => ({ Name, Value })),
            NextToken,
          }),
        ),
      );
      const exact = (page.Metrics ?? []).some(
        (m) =>
          (m.Dimensions ?? []).length === wanted.length &&
          wanted.every(([name, value]) => m.Dimensions?.some((d) => d.Name === name && d.Value === value)),
      );
      if (exact) return true;
      NextToken = page.NextToken;
    } while (NextToken);
    return false;
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
 * Throws unless CloudWatch returned the series in full. GetMetricData answers 200 with a status per series:
 * `InternalError` (it failed to read it: a fresh read may succeed) and `Forbidden` (a cross-account series
 * this account may not read) come with no or some datapoints, and `PartialData` on the last page means
 * datapoints are missing. Read as they come, each would look like minutes without requests or errors: a
 * canary with no errors, or a baseline with none, which is what the tests must never be fed.
 */
function incomplete(spec: SeriesSpec, result: MetricDataResult, lastPage: boolean): void {
  const status = result.StatusCode;
  if (status === undefined || status === 'Complete' || (status === 'PartialData' && !lastPage)) return;
  const said = (result.Messages ?? []).map((m) => [m.Code, m.Value].filter(Boolean).join(': '));
  const what =
    `cloudwatch:GetMetricData returned ${status} for the ${spec.label} ${spec.ref.namespace} ` +
    `${spec.ref.metricName} ${spec.stat} (${dimensionsText(spec.ref)})` +
    (said.length > 0 ? `: ${said.join('; ')}` : '');
  if (status === 'Forbidden') {
    throw new MetricDataError(
      `${what}; this account may not read the series: grant fledge's role access to it (e.g. CloudWatch ` +
        'cross-account observability) or name a metric it can read',
    );
  }
  throw new TransientAwsError(`${what}; its datapoints are incomplete, so the read is tried again`);
}

function dimensionsText(ref: MetricRef): string {
  return Object.entries(ref.dimensions)
    .map(([name, value]) => `${name}=${value}`)
    .join(', ');
}

/**
 * CloudWatch's trimmed count above a fixed value: `TC(t:)` counts the samples greater than t (the lower
 * bound of a fixed-value range is exclusive). Six significant digits, never an exponent.
 */
export function slowerThan(threshold: number): string {
  const digits = Math.max(0, Math.min(10, 5 - Math.floor(Math.log10(Math.abs(threshold) || 1))));
  return `TC(${Number(threshold.toFixed(digits))}:)`;
}

function toMetric(ref: MetricRef) {
  return {
    Namespace: ref.namespace,
    MetricName: ref.metricName,
    Dimensions: Object.entries(ref.dimensions).map(([Name, Value]) => ({ Name, Value })),
  };
}

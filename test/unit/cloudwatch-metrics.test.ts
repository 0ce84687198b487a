import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
} from '@aws-sdk/client-cloudwatch';
import { GetHealthCheckStatusCommand, Route53Client } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchMetricsSource, lambdaAliasCounts } from '../../shared/aws/cloudwatch';

const cloudWatch = mockClient(CloudWatchClient);
const route53 = mockClient(Route53Client);
const source = () =>
  new CloudWatchMetricsSource(
    new CloudWatchClient({ region: 'us-east-1' }),
    () => new Route53Client({ region: 'us-east-1' }),
  );
const T = Date.UTC(2026, 10, 2, 10, 0);
const at = (minute: number) => new Date(T + minute * 60_000);
const query = lambdaAliasCounts('checkout', 'live', '6', '7');

beforeEach(() => {
  cloudWatch.reset();
  route53.reset();
});

describe('CloudWatchMetricsSource.pairedMinutes', () => {
  it('asks for Sum per 60 s of both arms with the per-version dimensions Lambda publishes', async () => {
    cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

    await source().pairedMinutes(query, { start: at(0), end: at(3) });

    const input = cloudWatch.commandCalls(GetMetricDataCommand)[0]?.args[0]
      .input as GetMetricDataCommandInput;
    expect(
      input.MetricDataQueries?.map((q) => [
        q.Id,
        q.MetricStat?.Metric?.MetricName,
        q.MetricStat?.Stat,
        q.MetricStat?.Period,
      ]),
    ).toEqual([
      ['canaryRequests', 'Invocations', 'Sum', 60],
      ['canaryErrors', 'Errors', 'Sum', 60],
      ['baselineRequests', 'Invocations', 'Sum', 60],
      ['baselineErrors', 'Errors', 'Sum', 60],
    ]);
    expect(input.MetricDataQueries?.[0]?.MetricStat?.Metric?.Dimensions).toEqual([
      { Name: 'FunctionName', Value: 'checkout' },
      { Name: 'Resource', Value: 'checkout:live' },
      { Name: 'ExecutedVersion', Value: '7' },
    ]);
  });

  it('aligns every minute of the window, fills gaps with zero, and follows pagination', async () => {
    cloudWatch
      .on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'canaryRequests', Timestamps: [at(0), at(2)], Values: [100, 90] },
          { Id: 'baselineRequests', Timestamps: [at(0), at(1), at(2)], Values: [900, 910, 905] },
        ],
        NextToken: 'page-2',
      })
      .resolves({ MetricDataResults: [{ Id: 'canaryErrors', Timestamps: [at(2)], Values: [3] }] });

    const minutes = await source().pairedMinutes(query, { start: at(0), end: at(3) });

    expect(minutes).toEqual([
      {
        at: at(0).toISOString(),
        canary: { requests: 100, errors: 0 },
        baseline: { requests: 900, errors: 0 },
      },
      { at: at(1).toISOString(), canary: { requests: 0, errors: 0 }, baseline: { requests: 910, errors: 0 } },
      {
        at: at(2).toISOString(),
        canary: { requests: 90, errors: 3 },
        baseline: { requests: 905, errors: 0 },
      },
    ]);
    expect(cloudWatch.commandCalls(GetMetricDataCommand)[1]?.args[0].input.NextToken).toBe('page-2');
  });

  it('turns throttling into TransientAwsError', async () => {
    // CloudWatch calls its throttling error "Throttling" and models no class for it.
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'Throttling',
      $metadata: { httpStatusCode: 400 },
    });
    cloudWatch.on(GetMetricDataCommand).rejects(throttled);

    await expect(source().pairedMinutes(query, { start: at(0), end: at(3) })).rejects.toMatchObject({
      name: 'TransientAwsError',
    });
  });
});

describe('CloudWatchMetricsSource.percentiles', () => {
  it('reads one percentile of each arm over the whole window as a single period', async () => {
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'canary', Timestamps: [at(0)], Values: [310] },
        { Id: 'baseline', Timestamps: [at(0)], Values: [120] },
      ],
    });
    const duration = { ...query.canary.requests, metricName: 'Duration' };

    const result = await source().percentiles(
      {
        canary: duration,
        baseline: { ...duration, dimensions: { ...duration.dimensions, ExecutedVersion: '6' } },
        statistic: 'p99',
      },
      { start: at(0), end: at(7) },
    );

    expect(result).toEqual({ canary: 310, baseline: 120 });
    const input = cloudWatch.commandCalls(GetMetricDataCommand)[0]?.args[0]
      .input as GetMetricDataCommandInput;
    expect(input.MetricDataQueries?.map((q) => [q.MetricStat?.Stat, q.MetricStat?.Period])).toEqual([
      ['p99', 420],
      ['p99', 420],
    ]);
  });

  it('reports no data as null, never as zero latency', async () => {
    cloudWatch
      .on(GetMetricDataCommand)
      .resolves({ MetricDataResults: [{ Id: 'canary', Timestamps: [], Values: [] }] });
    const duration = { ...query.canary.requests, metricName: 'Duration' };

    const result = await source().percentiles(
      { canary: duration, baseline: duration, statistic: 'p90' },
      { start: at(0), end: at(3) },
    );

    expect(result).toEqual({ canary: null, baseline: null });
  });
});

describe('alarms and health checks', () => {
  it('reports alarms in ALARM and unknown alarm names, asking 100 names at a time', async () => {
    const names = Array.from({ length: 150 }, (_, i) => `alarm-${i}`);
    cloudWatch.on(DescribeAlarmsCommand).callsFake(async (input) => ({
      MetricAlarms: (input.AlarmNames as string[])
        .filter((n) => n !== 'alarm-149')
        .map((n) => ({ AlarmName: n, StateValue: n === 'alarm-7' ? 'ALARM' : 'OK' })),
    }));

    expect(await source().alarmsInAlarm(names)).toEqual(['alarm-7']);
    expect(await source().missingAlarms(names)).toEqual(['alarm-149']);
    expect(
      cloudWatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input.AlarmNames?.length),
    ).toEqual([100, 50, 100, 50]);
  });

  it('counts a Route 53 health check unhealthy when most checkers see a failure', async () => {
    const report = (...statuses: string[]) => ({
      HealthCheckObservations: statuses.map((Status) => ({ StatusReport: { Status } })),
    });
    route53
      .on(GetHealthCheckStatusCommand, { HealthCheckId: 'down' })
      .resolves(report('Failure: HTTP 503', 'Failure: timeout', 'Success: HTTP 200'))
      .on(GetHealthCheckStatusCommand, { HealthCheckId: 'flaky' })
      .resolves(report('Failure: timeout', 'Success: HTTP 200', 'Success: HTTP 200'));

    expect(await source().unhealthyChecks(['down', 'flaky'])).toEqual(['down']);
  });
});

import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  ListMetricsCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  GetHealthCheckCommand,
  GetHealthCheckStatusCommand,
  NoSuchHealthCheck,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchMetricsSource, slowerThan } from '../../shared/aws/cloudwatch';
import { lambdaAliasCounts, lambdaAliasMetric } from '../../shared/targets/lambda-alias/metrics';

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
          { Id: 'baselineErrors', Timestamps: [at(0), at(1), at(2)], Values: [0, 0, 0] },
        ],
        NextToken: 'page-2',
      })
      .resolves({ MetricDataResults: [{ Id: 'canaryErrors', Timestamps: [at(0), at(2)], Values: [0, 3] }] });

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

  it('marks an error series with no datapoint while its arm served requests, and no other', async () => {
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'canaryRequests', Timestamps: [at(0), at(1)], Values: [100, 90] },
        { Id: 'canaryErrors', Timestamps: [at(1)], Values: [2] },
        { Id: 'baselineRequests', Timestamps: [at(0), at(1)], Values: [900, 910] },
        { Id: 'baselineErrors', Timestamps: [at(0), at(1)], Values: [4, 5] },
      ],
    });

    const minutes = await source().pairedMinutes(query, { start: at(0), end: at(3) });

    expect(minutes.map((m) => m.missing)).toEqual([['canary.errors'], undefined, undefined]);
    expect(minutes[0]?.canary).toEqual({ requests: 100, errors: 0 });
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

describe('GetMetricData statuses: a series CloudWatch did not return in full is never read as complete', () => {
  const complete = (Id: string, values: number[]) => ({
    Id,
    StatusCode: 'Complete' as const,
    Timestamps: values.map((_, i) => at(i)),
    Values: values,
  });

  it('turns a series that CloudWatch failed to read (InternalError) into TransientAwsError, not zero errors', async () => {
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        complete('canaryRequests', [100, 90]),
        {
          Id: 'canaryErrors',
          StatusCode: 'InternalError',
          Messages: [{ Code: 'InternalError', Value: 'Internal service error' }],
          Timestamps: [],
          Values: [],
        },
        complete('baselineRequests', [900, 910]),
        complete('baselineErrors', [4, 5]),
      ],
    });

    await expect(source().pairedMinutes(query, { start: at(0), end: at(2) })).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: expect.stringMatching(/canary AWS\/Lambda Errors.*InternalError.*Internal service error/),
    });
  });

  it('refuses a series the caller may not read (Forbidden) with an error naming it, which a retry does not cure', async () => {
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        complete('canaryRequests', [100]),
        complete('canaryErrors', [1]),
        { Id: 'baselineRequests', StatusCode: 'Forbidden', Timestamps: [], Values: [] },
        complete('baselineErrors', [4]),
      ],
    });

    const read = source().pairedMinutes(query, { start: at(0), end: at(1) });

    await expect(read).rejects.toMatchObject({
      name: 'MetricDataError',
      message: expect.stringMatching(/Forbidden for the baseline AWS\/Lambda Invocations/),
    });
  });

  it('treats a series still PartialData after the last page as not yet read (TransientAwsError)', async () => {
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        complete('canaryRequests', [100]),
        complete('canaryErrors', [1]),
        complete('baselineRequests', [900]),
        { ...complete('baselineErrors', [4]), StatusCode: 'PartialData' },
      ],
    });

    await expect(source().pairedMinutes(query, { start: at(0), end: at(1) })).rejects.toMatchObject({
      name: 'TransientAwsError',
    });
  });

  it('reads a series that is PartialData on one page and Complete on the next', async () => {
    cloudWatch
      .on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [
          complete('canaryRequests', [100, 90]),
          complete('canaryErrors', [1, 0]),
          complete('baselineRequests', [900, 910]),
          { Id: 'baselineErrors', StatusCode: 'PartialData', Timestamps: [at(0)], Values: [4] },
        ],
        NextToken: 'page-2',
      })
      .resolves({
        MetricDataResults: [
          { Id: 'baselineErrors', StatusCode: 'Complete', Timestamps: [at(1)], Values: [5] },
        ],
      });

    const minutes = await source().pairedMinutes(query, { start: at(0), end: at(2) });

    expect(minutes.map((m) => m.baseline)).toEqual([
      { requests: 900, errors: 4 },
      { requests: 910, errors: 5 },
    ]);
  });

  it("does not read a failed percentile of the stable side's last hour as no data", async () => {
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'statistic', StatusCode: 'InternalError', Timestamps: [], Values: [] }],
    });
    const alias = lambdaAliasMetric('checkout', 'live')('Duration');

    await expect(source().statistic(alias, 'p99', { start: at(0), end: at(60) })).rejects.toMatchObject({
      name: 'TransientAwsError',
    });
  });
});

describe('latency as counts of slow requests', () => {
  const duration = { ...query.canary.requests, metricName: 'Duration' };
  const stableDuration = { ...duration, dimensions: { ...duration.dimensions, ExecutedVersion: '6' } };

  it("asks each arm for SampleCount and TC(threshold:) per minute, at that arm's own threshold", async () => {
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'canaryRequests', Timestamps: [at(0)], Values: [100] },
        { Id: 'canaryErrors', Timestamps: [at(0)], Values: [1] },
        { Id: 'baselineRequests', Timestamps: [at(0)], Values: [900] },
        { Id: 'baselineErrors', Timestamps: [at(0)], Values: [4] },
        { Id: 'lat0CanarySamples', Timestamps: [at(0)], Values: [100] },
        { Id: 'lat0CanarySlow', Timestamps: [at(0)], Values: [3] },
        { Id: 'lat0BaselineSamples', Timestamps: [at(0)], Values: [900] },
        // No datapoint: no baseline request above the threshold in that minute.
      ],
    });

    const minutes = await source().pairedMinutes(query, { start: at(0), end: at(1) }, [
      {
        statistic: 'p99',
        canary: duration,
        baseline: stableDuration,
        thresholds: { canary: 148.1482, baseline: 123.4568 },
      },
    ]);

    const input = cloudWatch.commandCalls(GetMetricDataCommand)[0]?.args[0]
      .input as GetMetricDataCommandInput;
    expect(
      input.MetricDataQueries?.slice(4).map((q) => [
        q.Id,
        q.MetricStat?.Metric?.MetricName,
        q.MetricStat?.Stat,
        q.MetricStat?.Period,
      ]),
    ).toEqual([
      ['lat0CanarySamples', 'Duration', 'SampleCount', 60],
      ['lat0CanarySlow', 'Duration', 'TC(148.148:)', 60],
      ['lat0BaselineSamples', 'Duration', 'SampleCount', 60],
      ['lat0BaselineSlow', 'Duration', 'TC(123.457:)', 60],
    ]);
    expect(minutes[0]?.latency).toEqual({
      p99: { canary: { samples: 100, slow: 3 }, baseline: { samples: 900, slow: 0 } },
    });
  });

  it('writes thresholds as CloudWatch reads them: six significant digits, never an exponent', () => {
    expect(slowerThan(123.456789)).toBe('TC(123.457:)');
    expect(slowerThan(0.000123456)).toBe('TC(0.000123456:)');
    expect(slowerThan(1234567.8)).toBe('TC(1234568:)');
  });

  it("reads a percentile of the stable side's last hour as one period, and no data as null", async () => {
    cloudWatch
      .on(GetMetricDataCommand)
      .resolvesOnce({ MetricDataResults: [{ Id: 'statistic', Timestamps: [at(0)], Values: [120] }] })
      .resolves({ MetricDataResults: [{ Id: 'statistic', Timestamps: [], Values: [] }] });
    const alias = lambdaAliasMetric('checkout', 'live')('Duration');

    const p99 = await source().statistic(alias, 'p99', { start: at(0), end: at(60) });
    const none = await source().statistic(alias, 'p90', { start: at(0), end: at(60) });

    expect(p99).toBe(120);
    expect(none).toBeNull();
    const input = cloudWatch.commandCalls(GetMetricDataCommand)[0]?.args[0]
      .input as GetMetricDataCommandInput;
    expect(input.MetricDataQueries?.[0]?.MetricStat).toMatchObject({ Stat: 'p99', Period: 3600 });
    expect(input.MetricDataQueries?.[0]?.MetricStat?.Metric?.Dimensions).toEqual([
      { Name: 'FunctionName', Value: 'checkout' },
      { Name: 'Resource', Value: 'checkout:live' },
    ]);
  });

  it("reads the stable side's minutes with their slow requests, skipping minutes without requests", async () => {
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'requests', Timestamps: [at(0), at(2)], Values: [1000, 990] },
        { Id: 'errors', Timestamps: [at(0), at(2)], Values: [5, 4] },
        { Id: 'lat0Samples', Timestamps: [at(0), at(2)], Values: [1000, 990] },
        { Id: 'lat0Slow', Timestamps: [at(0), at(2)], Values: [11, 9] },
      ],
    });
    const alias = lambdaAliasMetric('checkout', 'live');

    const minutes = await source().sideMinutes(
      {
        requests: alias('Invocations'),
        errors: alias('Errors'),
        latency: [{ statistic: 'p99', metric: alias('Duration'), threshold: 120 }],
      },
      { start: at(0), end: at(3) },
    );

    expect(minutes).toEqual([
      { at: at(0).toISOString(), requests: 1000, errors: 5, latency: { p99: { samples: 1000, slow: 11 } } },
      { at: at(2).toISOString(), requests: 990, errors: 4, latency: { p99: { samples: 990, slow: 9 } } },
    ]);
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

  it('says which health checks cannot be watched: missing, or calculated (no status to read)', async () => {
    const check = (Type: string) => ({
      HealthCheck: {
        Id: 'x',
        CallerReference: 'r',
        HealthCheckVersion: 1,
        HealthCheckConfig: { Type: Type as never },
      },
    });
    route53
      .on(GetHealthCheckCommand, { HealthCheckId: 'web' })
      .resolves(check('HTTPS'))
      .on(GetHealthCheckCommand, { HealthCheckId: 'gone' })
      .rejects(new NoSuchHealthCheck({ message: 'No health check exists', $metadata: {} }))
      .on(GetHealthCheckCommand, { HealthCheckId: 'all-of-them' })
      .resolves(check('CALCULATED'));

    const problems = await source().unwatchableChecks(['web', 'gone', 'all-of-them']);

    expect(problems).toEqual([
      "no Route 53 health check 'gone' in this account",
      expect.stringMatching(/^'all-of-them' is a calculated health check, .* never see it fail/),
    ]);
  });
});

describe('CloudWatchMetricsSource.unlistedMetrics', () => {
  const stage = (Stage: string) => ({
    namespace: 'AWS/ApiGateway',
    metricName: 'Count',
    dimensions: { ApiName: 'orders-api', Stage },
  });

  it('lists a series only when one has exactly its dimensions, on any page', async () => {
    // ListMetrics also returns series with more dimensions than asked (per method and resource); a
    // GetMetricData query of ApiName and Stage would read none of those.
    cloudWatch
      .on(ListMetricsCommand, {
        Dimensions: [
          { Name: 'ApiName', Value: 'orders-api' },
          { Name: 'Stage', Value: 'prod' },
        ],
      })
      .resolvesOnce({
        Metrics: [
          {
            Dimensions: [
              { Name: 'ApiName', Value: 'orders-api' },
              { Name: 'Stage', Value: 'prod' },
              { Name: 'Method', Value: 'GET' },
              { Name: 'Resource', Value: '/orders' },
            ],
          },
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        Metrics: [
          {
            Dimensions: [
              { Name: 'Stage', Value: 'prod' },
              { Name: 'ApiName', Value: 'orders-api' },
            ],
          },
        ],
      });
    cloudWatch
      .on(ListMetricsCommand, {
        Dimensions: [
          { Name: 'ApiName', Value: 'orders-api' },
          { Name: 'Stage', Value: 'prod/Canary' },
        ],
      })
      .resolves({
        Metrics: [
          {
            Dimensions: [
              { Name: 'ApiName', Value: 'orders-api' },
              { Name: 'Stage', Value: 'prod/Canary' },
              { Name: 'Method', Value: 'GET' },
              { Name: 'Resource', Value: '/orders' },
            ],
          },
        ],
      });
    const canary = stage('prod/Canary');

    expect(await source().unlistedMetrics([stage('prod'), canary])).toEqual([canary]);
    expect(cloudWatch.commandCalls(ListMetricsCommand).map((c) => c.args[0].input)).toEqual([
      expect.objectContaining({ Namespace: 'AWS/ApiGateway', MetricName: 'Count', NextToken: undefined }),
      expect.objectContaining({ Namespace: 'AWS/ApiGateway', MetricName: 'Count', NextToken: undefined }),
      expect.objectContaining({ NextToken: 'page-2' }),
    ]);
  });
});

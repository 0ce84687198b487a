/**
 * The quota emulator: each service's throttling answer is one the SDK names and retries as throttling,
 * and buckets refill on the clock given, not the wall's.
 */
import { APIGatewayClient, GetStageCommand, UpdateStageCommand } from '@aws-sdk/client-api-gateway';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetAliasCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { useEndpoint } from '../../local/moto';
import {
  AWS_QUOTAS,
  QuotaEmulator,
  type QuotaGroup,
  scaleQuotas,
  TokenBucket,
} from '../../local/quota-emulator';

const ONE_PER_HOUR = (name: string, service: QuotaGroup['service']): QuotaGroup => ({
  name,
  service,
  burst: 1,
  perSecond: 1 / 3600,
  source: 'test',
});

let now = 0;
const emulator = new QuotaEmulator(inject('motoEndpoint'), () => now, [
  ONE_PER_HOUR('lambda', 'lambda'),
  ONE_PER_HOUR('cloudwatch', 'cloudwatch'),
  ONE_PER_HOUR('route53', 'route53'),
  ONE_PER_HOUR('states', 'states'),
  ONE_PER_HOUR('apigateway', 'apigateway'),
  ONE_PER_HOUR('elbv2', 'elbv2'),
]);
let endpoint = '';

beforeAll(async () => {
  useEndpoint(inject('motoEndpoint'));
  endpoint = await emulator.start();
});
afterAll(() => emulator.stop());

/** The error a client's call ends with once the bucket is empty, after `attempts` tries. */
async function throttledError(
  send: () => Promise<unknown>,
): Promise<Error & { $metadata: { attempts?: number } }> {
  await send().catch(() => undefined); // takes the one token (whatever moto answers)
  return (await send().then(
    () => {
      throw new Error('the call was not throttled');
    },
    (error: unknown) => error,
  )) as Error & { $metadata: { attempts?: number } };
}

describe('the quota emulator', () => {
  const cases: Array<[string, () => Promise<unknown>, string, RegExp?]> = [
    [
      'Lambda: 429 TooManyRequestsException',
      () =>
        new LambdaClient({ endpoint, maxAttempts: 3 }).send(
          new GetAliasCommand({ FunctionName: 'none', Name: 'live' }),
        ),
      'TooManyRequestsException',
    ],
    [
      'CloudWatch: Throttling (JSON, query-compatible)',
      () =>
        new CloudWatchClient({ endpoint, maxAttempts: 3 }).send(
          new GetMetricDataCommand({
            StartTime: new Date(0),
            EndTime: new Date(60_000),
            MetricDataQueries: [],
          }),
        ),
      'Throttling',
    ],
    [
      'Route 53: Throttling (XML)',
      () =>
        new Route53Client({ endpoint, maxAttempts: 3 }).send(
          new ListResourceRecordSetsCommand({ HostedZoneId: 'Z0NE' }),
        ),
      'Throttling',
    ],
    [
      'Step Functions: ThrottlingException',
      () =>
        new SFNClient({ endpoint, maxAttempts: 3 }).send(
          new DescribeExecutionCommand({
            executionArn: 'arn:aws:states:us-east-1:123456789012:execution:m:e',
          }),
        ),
      'ThrottlingException',
    ],
    [
      'API Gateway: 429 TooManyRequestsException',
      () =>
        new APIGatewayClient({ endpoint, maxAttempts: 3 }).send(
          new GetStageCommand({ restApiId: 'none', stageName: 'live' }),
        ),
      'TooManyRequestsException',
      /too many requests/i,
    ],
    [
      'ELB: ThrottlingException (query protocol, XML)',
      () =>
        new ElasticLoadBalancingV2Client({ endpoint, maxAttempts: 3 }).send(
          new DescribeRulesCommand({
            RuleArns: ['arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/a/1/2/3'],
          }),
        ),
      'ThrottlingException',
    ],
  ];
  it.each(cases)('%s, which the SDK retries as throttling', async (_, send, name, message) => {
    const error = await throttledError(send);
    expect(error.name).toBe(name);
    expect(error.message).toMatch(message ?? /rate exceeded/i);
    // Retried: the SDK made every attempt it was allowed, each throttled.
    expect(error.$metadata.attempts).toBe(3);
  });

  it('refills on the clock it was given, not the wall clock', async () => {
    now = 10 * 3_600_000;
    emulator.reset(() => now, [ONE_PER_HOUR('lambda', 'lambda')]);
    const lambda = new LambdaClient({ endpoint, maxAttempts: 1 });
    const call = () =>
      lambda.send(new GetAliasCommand({ FunctionName: 'none', Name: 'live' })).then(
        () => 'ok',
        (e: Error) => e.name,
      );
    expect(await call()).toBe('ResourceNotFoundException'); // moto's answer: the token was there
    expect(await call()).toBe('TooManyRequestsException');
    now += 3_600_000; // an hour on the given clock: one token
    expect(await call()).toBe('ResourceNotFoundException');
    expect(await call()).toBe('TooManyRequestsException');
  });

  it('names the group of each call, and passes what it does not meter', async () => {
    emulator.reset(() => now, [ONE_PER_HOUR('lambda', 'lambda')]);
    const route53 = new Route53Client({ endpoint, maxAttempts: 1 });
    for (let i = 0; i < 3; i++)
      await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: 'Z0NE' })).catch(() => undefined);
    expect(emulator.calls.map((c) => [c.op, c.group, c.throttled])).toEqual([
      ['ListResourceRecordSets', undefined, false],
      ['ListResourceRecordSets', undefined, false],
      ['ListResourceRecordSets', undefined, false],
    ]);
  });

  it("meters ELB's reads and writes in their own buckets, and names API Gateway's operations", async () => {
    emulator.reset(
      () => now,
      AWS_QUOTAS.filter((g) => g.service === 'elbv2' || g.service === 'apigateway').map((g) => ({
        ...g,
        burst: 1,
        perSecond: 1 / 3600,
      })),
    );
    const elb = new ElasticLoadBalancingV2Client({ endpoint, maxAttempts: 1 });
    const ruleArn = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/a/1/2/3';
    const quietly = (p: Promise<unknown>) => p.catch(() => undefined);
    await quietly(elb.send(new DescribeRulesCommand({ RuleArns: [ruleArn] })));
    await quietly(elb.send(new ModifyRuleCommand({ RuleArn: ruleArn, Actions: [] })));
    await quietly(elb.send(new ModifyRuleCommand({ RuleArn: ruleArn, Actions: [] })));
    const apigw = new APIGatewayClient({ endpoint, maxAttempts: 1 });
    await quietly(apigw.send(new GetStageCommand({ restApiId: 'none', stageName: 'live' })));
    await quietly(apigw.send(new UpdateStageCommand({ restApiId: 'none', stageName: 'live' })));

    expect(emulator.calls.map((c) => [c.op, c.group, c.throttled])).toEqual([
      ['DescribeRules', 'elbv2:describe', false],
      // A write takes no token from the reads' bucket: the first is served, the second finds its own empty.
      ['ModifyRule', 'elbv2:modify', false],
      ['ModifyRule', 'elbv2:modify', true],
      ['GetStage', 'apigateway:all', false],
      // API Gateway's 10/s is one bucket for every management call.
      ['UpdateStage', 'apigateway:all', true],
    ]);
  });
});

describe("Step Functions' own use, metered in-process", () => {
  it('takes tokens from its group on the given clock and records each use', () => {
    now = 0;
    emulator.reset(
      () => now,
      [{ ...ONE_PER_HOUR('states:StateTransition', 'states'), ops: ['StateTransition'], burst: 2 }],
    );
    const throttled = [1, 2, 3].map(() => emulator.meter('states', 'StateTransition', 'rollout-7'));
    now += 3_600_000;
    throttled.push(emulator.meter('states', 'StateTransition', 'rollout-7'));

    expect(throttled).toEqual([false, false, true, false]);
    expect(emulator.calls.map((c) => [c.group, c.actor, c.throttled])).toEqual([
      ['states:StateTransition', 'rollout-7', false],
      ['states:StateTransition', 'rollout-7', false],
      ['states:StateTransition', 'rollout-7', true],
      ['states:StateTransition', 'rollout-7', false],
    ]);
    // Each use counts as a call of its own.
    expect(new Set(emulator.calls.map((c) => c.call)).size).toBe(4);
  });
});

describe('a token bucket', () => {
  it('holds its burst, refills at its rate, and never above the burst', () => {
    let t = 0;
    const bucket = new TokenBucket(2, 10, () => t);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false]);
    t += 100; // 1 token
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
    t += 10_000; // far more than the burst
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false]);
  });

  it('scales quotas by N/300, keeping a step of burst', () => {
    const [lambda] = scaleQuotas([{ ...ONE_PER_HOUR('l', 'lambda'), burst: 15, perSecond: 15 }], 0.1);
    expect(lambda).toMatchObject({ burst: 6, perSecond: 1.5 });
    expect(() => scaleQuotas([], 0)).toThrow(/above 0/);
  });
});

/** Helpers for tests against moto: publish metrics beforehand, read an alias. */
import { CloudWatchClient, type MetricDatum, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { GetAliasCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';

// CloudWatch takes 1,000 data points per PutMetricData; moto fails above about 50, so stay well below.
const PUT_BATCH = 20;

export interface VersionTraffic {
  requests: number;
  errors: number;
}

/**
 * Publishes AWS/Lambda Invocations and Errors per ExecutedVersion for `minutes` minutes from `start`,
 * as Lambda does for a weighted alias. The counts are the same every minute.
 */
export function publishLambdaMinutes(
  functionName: string,
  alias: string,
  start: Date,
  minutes: number,
  perVersion: Record<string, VersionTraffic>,
): Promise<void> {
  const sides = Object.entries(perVersion).map(([version, traffic]) => ({
    traffic,
    dimensions: {
      FunctionName: functionName,
      Resource: `${functionName}:${alias}`,
      ExecutedVersion: version,
    },
  }));
  return publishMinutes('AWS/Lambda', ['Invocations', 'Errors'], start, minutes, sides);
}

/** Publishes an app's own Requests and Errors per side (dimension Side=stable|canary), every minute. */
export function publishSideMinutes(
  namespace: string,
  app: string,
  start: Date,
  minutes: number,
  perSide: Record<'stable' | 'canary', VersionTraffic>,
): Promise<void> {
  const sides = Object.entries(perSide).map(([side, traffic]) => ({
    traffic,
    dimensions: { App: app, Side: side },
  }));
  return publishMinutes(namespace, ['Requests', 'Errors'], start, minutes, sides);
}

export async function readAlias(functionName: string, alias: string) {
  const client = new LambdaClient({});
  const result = await client.send(new GetAliasCommand({ FunctionName: functionName, Name: alias }));
  client.destroy();
  return {
    version: result.FunctionVersion,
    weights: result.RoutingConfig?.AdditionalVersionWeights ?? {},
  };
}

/**
 * Publishes AWS/ApplicationELB RequestCount and HTTPCode_Target_5XX_Count per target group, as ELB does:
 * the 5xx count only in minutes that have some. Target groups are named by ARN.
 */
export function publishTargetGroupMinutes(
  listenerArn: string,
  start: Date,
  minutes: number,
  perGroup: Record<string, VersionTraffic>,
): Promise<void> {
  const loadBalancer = /listener\/(app\/[^/]+\/[^/]+)\//.exec(listenerArn)?.[1] ?? '';
  const sides = Object.entries(perGroup).map(([arn, traffic]) => ({
    traffic,
    dimensions: { TargetGroup: arn.split(':').pop() ?? '', LoadBalancer: loadBalancer },
  }));
  return publishMinutes(
    'AWS/ApplicationELB',
    ['RequestCount', 'HTTPCode_Target_5XX_Count'],
    start,
    minutes,
    sides,
    { errorsOnlyWhenNonZero: true },
  );
}

async function publishMinutes(
  namespace: string,
  [requestsMetric, errorsMetric]: [string, string],
  start: Date,
  minutes: number,
  sides: Array<{ traffic: VersionTraffic; dimensions: Record<string, string> }>,
  options: { errorsOnlyWhenNonZero?: boolean } = {},
): Promise<void> {
  const data: MetricDatum[] = [];
  for (let m = 0; m < minutes; m++) {
    const Timestamp = new Date(start.getTime() + m * 60_000 + 20_000);
    for (const { traffic, dimensions } of sides) {
      const Dimensions = Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value }));
      data.push({
        MetricName: requestsMetric,
        Dimensions,
        Timestamp,
        Value: traffic.requests,
        Unit: 'Count',
      });
      if (traffic.errors > 0 || !options.errorsOnlyWhenNonZero) {
        data.push({ MetricName: errorsMetric, Dimensions, Timestamp, Value: traffic.errors, Unit: 'Count' });
      }
    }
  }
  const client = new CloudWatchClient({});
  for (let i = 0; i < data.length; i += PUT_BATCH) {
    await client.send(
      new PutMetricDataCommand({ Namespace: namespace, MetricData: data.slice(i, i + PUT_BATCH) }),
    );
  }
  client.destroy();
}

/**
 * A queue that receives the lifecycle events of one function's rollouts, through an EventBridge rule
 * on the default bus. The rule matches that function only: test files share the emulator and run at
 * the same time. Returns a reader that drains what has arrived.
 */
export async function eventQueue(
  functionName: string,
): Promise<() => Promise<Array<Record<string, unknown>>>> {
  const sqs = new SQSClient({});
  const events = new EventBridgeClient({});
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: `events-${functionName}` }));
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  await events.send(
    new PutRuleCommand({
      Name: `events-${functionName}`,
      EventPattern: JSON.stringify({
        source: ['fledge'],
        detail: { target: { functionName: [functionName] } },
      }),
    }),
  );
  await events.send(
    new PutTargetsCommand({
      Rule: `events-${functionName}`,
      Targets: [{ Id: 'queue', Arn: attributes.Attributes?.QueueArn }],
    }),
  );
  return async () => {
    const received: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 3; i++) {
      const batch = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 10 }),
      );
      for (const m of batch.Messages ?? []) received.push(JSON.parse(m.Body ?? '{}'));
    }
    return received;
  };
}

/**
 * The `Step Functions Execution Status Change` event of an execution, built from its DescribeExecution,
 * as EventBridge delivers it to a rule's target (the recover function).
 */
export function statusChangeEvent(
  execution: DescribeExecutionCommandOutput,
  where: { account: string; region: string },
): Record<string, unknown> {
  return {
    version: '0',
    id: 'a8d1c0c6-6a5f-4b3c-9d0e-3c2f1b0a9e8d',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: where.account,
    time: execution.stopDate?.toISOString(),
    region: where.region,
    resources: [execution.executionArn],
    detail: {
      executionArn: execution.executionArn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: execution.startDate?.getTime(),
      stopDate: execution.stopDate?.getTime(),
      input: execution.input,
      output: null,
      inputDetails: { included: true },
      outputDetails: null,
      error: execution.error ?? null,
      cause: execution.cause ?? null,
    },
  };
}

/** Helpers for tests against moto: publish metrics beforehand, read an alias. */
import { CloudWatchClient, type MetricDatum, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetAliasCommand, LambdaClient } from '@aws-sdk/client-lambda';

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
export async function publishLambdaMinutes(
  functionName: string,
  alias: string,
  start: Date,
  minutes: number,
  perVersion: Record<string, VersionTraffic>,
): Promise<void> {
  const data: MetricDatum[] = [];
  for (let m = 0; m < minutes; m++) {
    const timestamp = new Date(start.getTime() + m * 60_000 + 20_000);
    for (const [version, traffic] of Object.entries(perVersion)) {
      const dimensions = [
        { Name: 'FunctionName', Value: functionName },
        { Name: 'Resource', Value: `${functionName}:${alias}` },
        { Name: 'ExecutedVersion', Value: version },
      ];
      data.push(
        {
          MetricName: 'Invocations',
          Dimensions: dimensions,
          Timestamp: timestamp,
          Value: traffic.requests,
          Unit: 'Count',
        },
        {
          MetricName: 'Errors',
          Dimensions: dimensions,
          Timestamp: timestamp,
          Value: traffic.errors,
          Unit: 'Count',
        },
      );
    }
  }
  await putAll('AWS/Lambda', data);
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

/** Publishes an app's own Requests and Errors per side (dimension Side=stable|canary), every minute. */
export async function publishSideMinutes(
  namespace: string,
  app: string,
  start: Date,
  minutes: number,
  perSide: Record<'stable' | 'canary', VersionTraffic>,
): Promise<void> {
  const data: MetricDatum[] = [];
  for (let m = 0; m < minutes; m++) {
    const timestamp = new Date(start.getTime() + m * 60_000 + 20_000);
    for (const [side, traffic] of Object.entries(perSide)) {
      const dimensions = [
        { Name: 'App', Value: app },
        { Name: 'Side', Value: side },
      ];
      data.push(
        {
          MetricName: 'Requests',
          Dimensions: dimensions,
          Timestamp: timestamp,
          Value: traffic.requests,
          Unit: 'Count',
        },
        {
          MetricName: 'Errors',
          Dimensions: dimensions,
          Timestamp: timestamp,
          Value: traffic.errors,
          Unit: 'Count',
        },
      );
    }
  }
  await putAll(namespace, data);
}

async function putAll(namespace: string, data: MetricDatum[]): Promise<void> {
  const client = new CloudWatchClient({});
  for (let i = 0; i < data.length; i += PUT_BATCH) {
    await client.send(
      new PutMetricDataCommand({ Namespace: namespace, MetricData: data.slice(i, i + PUT_BATCH) }),
    );
  }
  client.destroy();
}

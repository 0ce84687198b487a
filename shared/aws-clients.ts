/**
 * One SDK client per service, created on first use and reused while the Lambda stays warm. The
 * endpoint, region and credentials come from the standard SDK configuration (AWS_ENDPOINT_URL for moto).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SFNClient } from '@aws-sdk/client-sfn';

// The SDK's own retries (standard mode, jittered) absorb short throttling; the ASL Retry covers the rest.
const retry = { maxAttempts: 4, retryMode: 'standard' } as const;

/** A getter that builds its client on the first call and returns the same one afterwards. */
function once<T>(create: () => T): () => T {
  let client: T | undefined;
  return () => {
    client ??= create();
    return client;
  };
}

export const lambdaClient = once(() => new LambdaClient(retry));
export const cloudWatchClient = once(() => new CloudWatchClient(retry));
export const route53Client = once(() => new Route53Client(retry));
export const dynamoDbClient = once(() => new DynamoDBClient(retry));
export const eventBridgeClient = once(() => new EventBridgeClient(retry));
export const sfnClient = once(() => new SFNClient(retry));

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

let lambda: LambdaClient | undefined;
let cloudWatch: CloudWatchClient | undefined;
let route53: Route53Client | undefined;
let dynamoDb: DynamoDBClient | undefined;
let eventBridge: EventBridgeClient | undefined;
let sfn: SFNClient | undefined;

export function lambdaClient(): LambdaClient {
  lambda ??= new LambdaClient(retry);
  return lambda;
}

export function cloudWatchClient(): CloudWatchClient {
  cloudWatch ??= new CloudWatchClient(retry);
  return cloudWatch;
}

export function route53Client(): Route53Client {
  route53 ??= new Route53Client(retry);
  return route53;
}

export function dynamoDbClient(): DynamoDBClient {
  dynamoDb ??= new DynamoDBClient(retry);
  return dynamoDb;
}

export function eventBridgeClient(): EventBridgeClient {
  eventBridge ??= new EventBridgeClient(retry);
  return eventBridge;
}

export function sfnClient(): SFNClient {
  sfn ??= new SFNClient(retry);
  return sfn;
}

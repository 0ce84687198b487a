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
import { lazy } from '../core/lazy';

// The SDK's own retries (standard mode, jittered) absorb short throttling; the ASL Retry covers the rest.
const retry = { maxAttempts: 4, retryMode: 'standard' } as const;

export const lambdaClient = lazy(() => new LambdaClient(retry));
export const cloudWatchClient = lazy(() => new CloudWatchClient(retry));
export const route53Client = lazy(() => new Route53Client(retry));
export const dynamoDbClient = lazy(() => new DynamoDBClient(retry));
export const eventBridgeClient = lazy(() => new EventBridgeClient(retry));
export const sfnClient = lazy(() => new SFNClient(retry));

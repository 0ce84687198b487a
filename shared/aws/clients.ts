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
import { timing } from '../lambda/timeouts';

/**
 * Every call is bounded (shared/lambda/timeouts.ts): a connection must open in time and the reply must
 * keep arriving, for a few attempts with the SDK's jittered backoff (standard mode), so one stalled
 * request cannot outlast the function; the state machine's Retry covers anything longer.
 */
export const clientConfig = () => {
  const { maxAttempts, connectionTimeoutMs, requestTimeoutMs } = timing();
  return {
    maxAttempts,
    retryMode: 'standard',
    // Without throwOnRequestTimeout the SDK only logs a request that outlives requestTimeout, and waits on.
    requestHandler: {
      connectionTimeout: connectionTimeoutMs,
      requestTimeout: requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  };
};

export const lambdaClient = lazy(() => new LambdaClient(clientConfig()));
export const cloudWatchClient = lazy(() => new CloudWatchClient(clientConfig()));
export const route53Client = lazy(() => new Route53Client(clientConfig()));
export const dynamoDbClient = lazy(() => new DynamoDBClient(clientConfig()));
export const eventBridgeClient = lazy(() => new EventBridgeClient(clientConfig()));
export const sfnClient = lazy(() => new SFNClient(clientConfig()));

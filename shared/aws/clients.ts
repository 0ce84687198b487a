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

// Pure: a bundle keeps only the clients its function calls (esbuild drops an unused pure call, and with
// it the whole SDK client it would import).
export const lambdaClient = /* @__PURE__ */ lazy(() => new LambdaClient(retry));
export const cloudWatchClient = /* @__PURE__ */ lazy(() => new CloudWatchClient(retry));
export const route53Client = /* @__PURE__ */ lazy(() => new Route53Client(retry));
export const dynamoDbClient = /* @__PURE__ */ lazy(() => new DynamoDBClient(retry));
export const eventBridgeClient = /* @__PURE__ */ lazy(() => new EventBridgeClient(retry));
export const sfnClient = /* @__PURE__ */ lazy(() => new SFNClient(retry));

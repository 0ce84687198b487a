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

/**
 * Every call is bounded, so one stalled request cannot outlast the function: a connection must open in
 * 2 s and the response must keep arriving (the socket idle no more than 5 s), for at most 3 attempts
 * with the SDK's jittered backoff (standard mode). The worst single call stays well inside the steps'
 * Lambda timeouts (shared/lambda/timeouts.ts); the state machine's Retry covers anything longer.
 */
export interface ClientSettings {
  maxAttempts: number;
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
}

export const CLIENT_SETTINGS: ClientSettings = {
  maxAttempts: 3,
  connectionTimeoutMs: 2_000,
  requestTimeoutMs: 5_000,
};

let settings = CLIENT_SETTINGS;

/**
 * Changes the settings of clients not yet created. The fault-injection tests scale the timeouts down
 * together with the functions' (keeping their ratio); nothing else calls it.
 */
export function configureClients(overrides: Partial<ClientSettings>): void {
  settings = { ...settings, ...overrides };
}

const config = () => ({
  maxAttempts: settings.maxAttempts,
  retryMode: 'standard',
  requestHandler: {
    connectionTimeout: settings.connectionTimeoutMs,
    requestTimeout: settings.requestTimeoutMs,
  },
});

export const lambdaClient = lazy(() => new LambdaClient(config()));
export const cloudWatchClient = lazy(() => new CloudWatchClient(config()));
export const route53Client = lazy(() => new Route53Client(config()));
export const dynamoDbClient = lazy(() => new DynamoDBClient(config()));
export const eventBridgeClient = lazy(() => new EventBridgeClient(config()));
export const sfnClient = lazy(() => new SFNClient(config()));

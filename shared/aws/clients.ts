/**
 * One SDK client per service, created on first use and reused while the Lambda stays warm. The
 * endpoint, region and credentials come from the standard SDK configuration (AWS_ENDPOINT_URL for moto).
 */
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SFNClient } from '@aws-sdk/client-sfn';
import { StepTimeoutError } from '../core/errors';
import { lazy } from '../core/lazy';
import { invocationEnded } from '../lambda/invocation';
import { timing } from '../lambda/timeouts';
import { ThrottlingPatientRetryStrategy } from './retry';

/**
 * Every call is bounded (shared/lambda/timeouts.ts): a connection must open in time and the reply must
 * keep arriving, for a few attempts with the SDK's jittered backoff (standard mode; more attempts while
 * throttled), so one stalled request cannot outlast the function; the state machine's Retry covers
 * anything longer.
 */
export const clientConfig = () => {
  const { maxAttempts, throttlingAttempts, connectionTimeoutMs, requestTimeoutMs } = timing();
  return {
    maxAttempts,
    // Standard mode, with more attempts for throttling only (shared/aws/retry.ts).
    retryStrategy: new ThrottlingPatientRetryStrategy(maxAttempts, throttlingAttempts),
    // Without throwOnRequestTimeout the SDK only logs a request that outlives requestTimeout, and waits on.
    requestHandler: {
      connectionTimeout: connectionTimeoutMs,
      requestTimeout: requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  };
};

type AnyClient = { middlewareStack: { add: (...args: never[]) => unknown } };

/**
 * Refuses every request attempt of a step that has already timed out (shared/lambda/invocation.ts), so
 * the leftovers of a timed-out step never write after its retry has started. Added to every client
 * fledge builds, tests' included.
 */
export function boundToInvocation<C extends AnyClient>(client: C): C {
  const stack = client.middlewareStack as unknown as {
    add: (
      middleware: (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>,
      options: { step: 'finalizeRequest'; priority: 'low'; name: string },
    ) => void;
  };
  stack.add(
    (next) => async (args) => {
      if (invocationEnded())
        throw new StepTimeoutError('the step had run out of time; this call was not made');
      return next(args);
    },
    // After the retry middleware (high priority in the same step), so every attempt is checked.
    { step: 'finalizeRequest', priority: 'low', name: 'fledgeInvocationEnded' },
  );
  return client;
}

// Pure: a bundle keeps only the clients its function calls (esbuild drops an unused pure call, and with
// it the whole SDK client it would import).
export const lambdaClient = /* @__PURE__ */ lazy(() => boundToInvocation(new LambdaClient(clientConfig())));
export const cloudWatchClient = /* @__PURE__ */ lazy(() =>
  boundToInvocation(new CloudWatchClient(clientConfig())),
);
export const route53Client = /* @__PURE__ */ lazy(() => boundToInvocation(new Route53Client(clientConfig())));
export const dynamoDbClient = /* @__PURE__ */ lazy(() =>
  boundToInvocation(new DynamoDBClient(clientConfig())),
);
export const eventBridgeClient = /* @__PURE__ */ lazy(() =>
  boundToInvocation(new EventBridgeClient(clientConfig())),
);
export const elbClient = /* @__PURE__ */ lazy(() =>
  boundToInvocation(new ElasticLoadBalancingV2Client(clientConfig())),
);
export const sfnClient = /* @__PURE__ */ lazy(() => boundToInvocation(new SFNClient(clientConfig())));
export const apiGatewayClient = /* @__PURE__ */ lazy(() =>
  boundToInvocation(new APIGatewayClient(clientConfig())),
);

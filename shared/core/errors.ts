/**
 * Typed errors. Step Functions routes on `error.name` (Retry/Catch `ErrorEquals`), so every name is a
 * string literal: a bundler that minifies class names must not change what the state machine sees.
 */

/** The rollout input is wrong. Raised before any traffic moves; the run ends with nothing changed. */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
}

/**
 * Someone other than this run changed the traffic split mid-rollout. fledge stops without writing,
 * so it never overwrites an operator's manual fix.
 */
export class TrafficConflictError extends Error {
  override readonly name = 'TrafficConflictError';
}

/** The router wrote weights but reading them back showed something else. */
export class WeightVerificationError extends Error {
  override readonly name = 'WeightVerificationError';
}

/**
 * CloudWatch answered, but refused a series (GetMetricData's per-series status `Forbidden`): the counts
 * cannot be read, and a retry will not change that. An analysis error, never zero requests or errors.
 */
export class MetricDataError extends Error {
  override readonly name = 'MetricDataError';
}

/** An AWS call failed in a way that is worth retrying (throttling, 5xx, network). */
export class TransientAwsError extends Error {
  override readonly name = 'TransientAwsError';
}

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);

interface SdkLikeError {
  name?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  code?: string;
}

/** The SDK's own request timeouts (NodeHttpHandler's TimeoutError) and the services' timeout replies. */
const TIMEOUTS = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);

const NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** True for errors that a retry may cure: throttling, AWS 5xx, timeouts and network failures. */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const e = error as Error & SdkLikeError;
  if (e.name === 'TransientAwsError' || THROTTLING.has(e.name) || TIMEOUTS.has(e.name)) return true;
  if (e.$fault === 'server') return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && (status === 429 || status >= 500)) return true;
  return NETWORK.has(e.code ?? '');
}

/**
 * True for errors the state machine's Retry takes up (statemachines/canary.asl.yml): transient AWS
 * failures and a step that ran out of time. A step must not undo its own progress on these: its retry
 * continues as the same owner.
 */
export function willBeRetried(error: unknown): boolean {
  return isTransient(error) || (error as Error)?.name === 'StepTimeoutError';
}

/**
 * Gives an AWS SDK error a name the state machine can route on: transient ones become
 * `TransientAwsError` (retried by the ASL), everything else passes through unchanged.
 */
export function classifyAwsError(error: unknown, action: string): unknown {
  if ((error as Error)?.name === 'TransientAwsError') return error;
  if (isTransient(error)) {
    const e = error as Error;
    return new TransientAwsError(`${action} failed transiently (${e.name}: ${e.message})`, { cause: error });
  }
  return error;
}

/** Runs an AWS call, re-throwing transient failures as `TransientAwsError`. */
export async function awsCall<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw classifyAwsError(error, action);
  }
}

/**
 * The message inside a Step Functions error cause. A Lambda task's Cause is a JSON document
 * `{"errorType","errorMessage",…}`; other causes are plain text.
 */
export function causeMessage(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    return parsed.errorMessage ?? cause;
  } catch {
    return cause;
  }
}

/**
 * A step ran out of its Lambda time (raised just before the function would time out). Every step is
 * idempotent, so the state machine retries it.
 */
export class StepTimeoutError extends Error {
  override readonly name = 'StepTimeoutError';
}

/**
 * AWS refused a traffic change for its content, not because someone else changed the target first
 * (e.g. Route 53 rejecting a record value). Nothing was written.
 */
export class ChangeRejectedError extends Error {
  override readonly name = 'ChangeRejectedError';
}

/** An operator request that does not apply to the rollout as it is (nothing was written). */
export class RequestRefusedError extends Error {
  override readonly name = 'RequestRefusedError';
}

/** Another execution is already rolling out to the same target. Raised in Plan; nothing changed. */
export class RolloutInProgressError extends Error {
  override readonly name = 'RolloutInProgressError';
}

/**
 * The SDK's standard retry strategy, more patient with throttling. Under many rollouts at once an
 * account's Lambda bucket ran dry at Plan: each of its reads gave up after the SDK's three attempts
 * (about 1.5 s of backoff), an attempt of the step that failed partway had spent its tokens for nothing,
 * and 4 of 30 rollouts were rejected after all ten Retry attempts of the state machine. With six
 * attempts for throttling (up to about 31 s of jittered backoff) the same run met every goal
 * (docs/CAPACITY.md). Other errors keep their attempts: a timeout's retries are what bound a step's time.
 */
import { StandardRetryStrategy } from '@smithy/core/retry';
import type { RetryErrorInfo, StandardRetryBackoffStrategy, StandardRetryToken } from '@smithy/types';

export class ThrottlingPatientRetryStrategy extends StandardRetryStrategy {
  constructor(
    private readonly attempts: number,
    throttlingAttempts: number,
    /** The SDK's jittered exponential backoff unless given (the load bench sleeps it on its own clock). */
    backoff?: StandardRetryBackoffStrategy,
  ) {
    super({ maxAttempts: Math.max(attempts, throttlingAttempts), ...(backoff ? { backoff } : {}) });
  }

  override async refreshRetryTokenForRetry(
    token: StandardRetryToken,
    errorInfo: RetryErrorInfo,
  ): Promise<StandardRetryToken> {
    // The SDK's own refusal: its retry middleware then throws the call's last error.
    if (errorInfo.errorType !== 'THROTTLING' && token.getRetryCount() + 1 >= this.attempts)
      throw new Error('No retry token available');
    return super.refreshRetryTokenForRetry(token, errorInfo);
  }
}

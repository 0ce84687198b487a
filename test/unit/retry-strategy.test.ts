import type { RetryErrorInfo, SdkError } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { ThrottlingPatientRetryStrategy } from '../../shared/aws/retry';

const NO_BACKOFF = { setDelayBase: () => undefined, computeNextBackoffDelay: () => 0 };
const error = (errorType: RetryErrorInfo['errorType']): RetryErrorInfo => ({
  errorType,
  error: new Error(errorType) as SdkError,
});

/** Attempts a call gets when every one fails with `errorType`. */
async function attemptsUntilRefused(
  strategy: ThrottlingPatientRetryStrategy,
  errorType: RetryErrorInfo['errorType'],
): Promise<number> {
  let token = await strategy.acquireInitialRetryToken('');
  for (let attempts = 1; ; attempts++) {
    try {
      token = await strategy.refreshRetryTokenForRetry(token, error(errorType));
    } catch {
      return attempts;
    }
  }
}

describe('ThrottlingPatientRetryStrategy', () => {
  it('gives a throttled call its throttling attempts, and other errors their usual ones', async () => {
    const strategy = new ThrottlingPatientRetryStrategy(3, 6, NO_BACKOFF);

    expect(await attemptsUntilRefused(strategy, 'THROTTLING')).toBe(6);
    expect(await attemptsUntilRefused(strategy, 'TRANSIENT')).toBe(3);
    expect(await attemptsUntilRefused(strategy, 'CLIENT_ERROR')).toBe(1);
  });

  it('counts a throttled attempt toward a later error: a timeout after throttling still ends at its limit', async () => {
    const strategy = new ThrottlingPatientRetryStrategy(3, 6, NO_BACKOFF);
    let token = await strategy.acquireInitialRetryToken('');
    token = await strategy.refreshRetryTokenForRetry(token, error('THROTTLING'));
    token = await strategy.refreshRetryTokenForRetry(token, error('THROTTLING'));

    await expect(strategy.refreshRetryTokenForRetry(token, error('TRANSIENT'))).rejects.toThrow(
      /no retry token/i,
    );
  });
});

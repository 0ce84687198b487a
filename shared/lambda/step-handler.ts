import middy from '@middy/core';
import { StepTimeoutError } from '../core/errors';
import { lazy } from '../core/lazy';
import { withinInvocation } from './invocation';
import { withLogging } from './logging';
import { timing } from './timeouts';

/**
 * Wraps one rollout step as a Lambda handler: middy, Powertools logging with the execution id, and the
 * step's dependencies, built on the first invocation and reused while the Lambda is warm (a test or
 * the local runner passes its own). Just before the function would time out, the step fails with
 * StepTimeoutError, which the state machine retries, instead of Lambda's own timeout; from then on the
 * step's leftover work can make no AWS call (shared/lambda/invocation.ts).
 */
export function stepHandler<E extends { executionId?: string }, R, D>(
  step: string,
  run: (event: E, deps: D) => Promise<R>,
  deps: () => D,
) {
  const wired = lazy(deps);
  return middy(
    async (event: E, _context: unknown, { signal }: { signal: AbortSignal }) =>
      withinInvocation(signal, () => run(event, wired())),
    {
      timeoutEarlyInMillis: timing().earlyTimeoutMs,
      timeoutEarlyResponse: () => {
        throw new StepTimeoutError(`${step} ran out of time; every step is idempotent, so it is retried`);
      },
    },
  ).use(withLogging(step));
}

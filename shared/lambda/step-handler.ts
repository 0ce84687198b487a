import middy from '@middy/core';
import { lazy } from '../core/lazy';
import { withLogging } from './logging';

/**
 * Wraps one rollout step as a Lambda handler: middy, Powertools logging with the execution id, and the
 * step's dependencies, built on the first invocation and reused while the Lambda is warm (a test or
 * the local runner passes its own).
 */
export function stepHandler<E extends { executionId?: string }, R, D>(
  step: string,
  run: (event: E, deps: D) => Promise<R>,
  deps: () => D,
) {
  const wired = lazy(deps);
  return middy(async (event: E) => run(event, wired())).use(withLogging(step));
}

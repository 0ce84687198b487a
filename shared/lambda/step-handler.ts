import middy from '@middy/core';
import { withLogging } from './logging';

/**
 * Wraps one rollout step as a Lambda handler: middy, Powertools logging with the execution id, and the
 * step's dependencies. They are wired when the handler is created, which for a deployed function is
 * Lambda's INIT (module load, before the first request, on a full CPU), and reused while the Lambda is
 * warm; a test or the local runner passes its own. Routers are built per target in the step, and each
 * SDK client on its first use.
 */
export function stepHandler<E extends { executionId?: string }, R, D>(
  step: string,
  run: (event: E, deps: D) => Promise<R>,
  deps: () => D,
) {
  const wired = deps();
  return middy(async (event: E) => run(event, wired)).use(withLogging(step));
}

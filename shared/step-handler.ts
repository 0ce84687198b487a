import middy from '@middy/core';
import { type Deps, defaultDeps } from './deps';
import { withLogging } from './logging';

/**
 * Wraps one rollout step as a Lambda handler: middy, Powertools logging with the execution id, and
 * the dependencies (production wiring unless a test or the local runner passes its own).
 */
export function stepHandler<E extends { executionId?: string }, R>(
  step: string,
  run: (event: E, deps: Deps) => Promise<R>,
  deps: () => Deps = defaultDeps,
) {
  return middy(async (event: E) => run(event, deps())).use(withLogging(step));
}

import middy from '@middy/core';
import { withLogging } from './logging';

/**
 * Wraps one rollout step as a Lambda handler: middy, Powertools logging with the execution id, and the
 * step's dependencies. They are wired when the handler is created, which for a deployed function is
 * Lambda's INIT (module load, before the first request, on a full CPU), and reused while the Lambda is
 * warm; a test or the local runner passes its own. A wiring error (a missing setting) is not thrown at
 * load, which would fail the import: every request fails with it instead.
 */
export function stepHandler<E extends { executionId?: string }, R, D>(
  step: string,
  run: (event: E, deps: D) => Promise<R>,
  deps: () => D,
) {
  const wiring = wire(deps);
  return middy(async (event: E) => {
    if (!wiring.ok) throw wiring.error;
    return run(event, wiring.deps);
  }).use(withLogging(step));
}

function wire<D>(deps: () => D): { ok: true; deps: D } | { ok: false; error: unknown } {
  try {
    return { ok: true, deps: deps() };
  } catch (error) {
    return { ok: false, error };
  }
}

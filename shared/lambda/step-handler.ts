import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { StepTimeoutError } from '../core/errors';
import { withinInvocation } from './invocation';
import { withLogging } from './logging';
import { timing } from './timeouts';

/**
 * Wraps one rollout step as a Lambda handler: middy, Powertools logging with the execution id, and the
 * step's dependencies. They are wired when the handler is created, which for a deployed function is
 * Lambda's INIT (module load, before the first request, on a full CPU), and reused while the Lambda is
 * warm; a test or the local runner passes its own. A wiring error (a missing setting) is not thrown at
 * load, which would fail the import: every request fails with it instead. Just before the function
 * would time out, the step fails with StepTimeoutError, which the state machine retries, instead of
 * Lambda's own timeout; from then on the step's leftover work can make no AWS call
 * (shared/lambda/invocation.ts).
 */
export function stepHandler<E extends { executionId?: string }, R, D>(
  step: string,
  run: (event: E, deps: D, context?: Context) => Promise<R>,
  deps: () => D,
) {
  const wiring = wire(deps);
  return middy(
    async (event: E, context: Context) => {
      if (!wiring.ok) throw wiring.error;
      const work = (signal: AbortSignal) => withinInvocation(signal, () => run(event, wiring.deps, context));
      // Outside Lambda (no context) nothing times the step.
      if (!context?.getRemainingTimeInMillis) return work(new AbortController().signal);
      // The invocation's own deadline, not middy's timeoutEarly: middy shares one AbortController
      // between every handler of the process, so one step's timeout would end the steps running beside
      // it (the local runner and the tests run several in one process).
      const ended = new AbortController();
      let deadline: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        deadline = setTimeout(
          () => {
            ended.abort();
            reject(
              new StepTimeoutError(`${step} ran out of time; every step is idempotent, so it is retried`),
            );
          },
          Math.max(0, context.getRemainingTimeInMillis() - timing().earlyTimeoutMs),
        );
      });
      try {
        return await Promise.race([work(ended.signal), timedOut]);
      } finally {
        clearTimeout(deadline);
      }
    },
    // The deadline above replaces middy's own.
    { timeoutEarlyInMillis: 0 },
  ).use(withLogging(step));
}

function wire<D>(deps: () => D): { ok: true; deps: D } | { ok: false; error: unknown } {
  try {
    return { ok: true, deps: deps() };
  } catch (error) {
    return { ok: false, error };
  }
}

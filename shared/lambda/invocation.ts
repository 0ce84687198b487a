/**
 * The invocation a piece of work belongs to. When a step runs out of time, middy answers Step Functions
 * with StepTimeoutError, but the step's own promise keeps running, and Lambda resumes it in the next
 * invocation of the same sandbox. Every AWS client checks this scope before each request attempt
 * (shared/aws/clients.ts), so a step that has timed out makes no further call: at most a request
 * already in flight lands, as when Lambda kills a function.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<AbortSignal>();

/** Runs `work` as one invocation that ends when `signal` aborts. */
export function withinInvocation<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
  return scope.run(signal, work);
}

/** True when the current invocation has ended (timed out); outside any invocation, never. */
export function invocationEnded(): boolean {
  return scope.getStore()?.aborted === true;
}

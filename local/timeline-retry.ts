/**
 * The SDK's retries on the shared timeline. A throttled call's backoff (standard mode: up to a second,
 * then two, for throttling) spent in wall time holds every rollout of the load bench, since the timeline
 * cannot jump while a rollout works: 12 rollouts took 2.5 minutes, most of it in these sleeps. Here
 * fledge's strategy (shared/aws/retry.ts) still decides whether to retry (the error's kind, the attempts,
 * the retry capacity) and the backoff has the SDK's length and jitter, but it is slept on the calling rollout's
 * timeline, which skips it when nothing else works: the buckets refill by the backoff's length either way.
 */
import { MAXIMUM_RETRY_DELAY, Retry } from '@smithy/core/retry';
import type { RetryErrorInfo, RetryStrategyV2, StandardRetryToken } from '@smithy/types';
import { ThrottlingPatientRetryStrategy } from '../shared/aws/retry';
import { timing } from '../shared/lambda/timeouts';
import { currentMember, type TimelineMember } from './shared-timeline';

export class TimelineRetryStrategy implements RetryStrategyV2 {
  readonly #outside: ZeroBackoffStrategy;
  readonly #ofMember = new WeakMap<TimelineMember, ZeroBackoffStrategy>();

  constructor() {
    this.#outside = new ZeroBackoffStrategy();
  }

  acquireInitialRetryToken(scope: string): Promise<StandardRetryToken> {
    return this.strategy().acquireInitialRetryToken(scope);
  }

  async refreshRetryTokenForRetry(
    token: StandardRetryToken,
    errorInfo: RetryErrorInfo,
  ): Promise<StandardRetryToken> {
    const delay = backoffMs(errorInfo, token.getRetryCount());
    // Throws, as the SDK's does, when the call is not to be retried.
    const next = await this.strategy().refreshRetryTokenForRetry(token, errorInfo);
    const member = currentMember();
    await (member ? member.backOff(delay) : new Promise((resolve) => setTimeout(resolve, delay)));
    return next;
  }

  recordSuccess(token: StandardRetryToken): void {
    this.strategy().recordSuccess(token);
  }

  /**
   * One strategy, and so one retry capacity, per rollout: deployed, rollouts running at once run in
   * Lambda environments of their own, each with its own client. One capacity shared by all the bench's
   * rollouts ran dry under load and stopped every retry (the SDK then fails at the first throttle).
   */
  private strategy(): ZeroBackoffStrategy {
    const member = currentMember();
    if (!member) return this.#outside;
    let strategy = this.#ofMember.get(member);
    if (!strategy) {
      strategy = new ZeroBackoffStrategy();
      this.#ofMember.set(member, strategy);
    }
    return strategy;
  }
}

/** fledge's strategy with no backoff of its own: the backoff is slept on the timeline. */
class ZeroBackoffStrategy extends ThrottlingPatientRetryStrategy {
  constructor() {
    const { maxAttempts, throttlingAttempts } = timing();
    super(maxAttempts, throttlingAttempts, {
      setDelayBase: () => undefined,
      computeNextBackoffDelay: () => 0,
    });
  }
}

/** The standard strategy's backoff: full jitter on base x 2^retries, at most 20 s. */
export function backoffMs(errorInfo: RetryErrorInfo, retries: number): number {
  const base = errorInfo.errorType === 'THROTTLING' ? Retry.throttlingDelay() : Retry.delay();
  return Math.floor(Math.random() * Math.min(base * 2 ** retries, MAXIMUM_RETRY_DELAY));
}

interface SdkClient {
  config: { retryStrategy: unknown };
  middlewareStack: {
    add: (
      middleware: (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>,
      options: { step: 'initialize'; name: string },
    ) => void;
  };
}

const onTimeline = new WeakSet<object>();

/**
 * Puts an SDK client's calls on the shared timeline: each call counts as its rollout's work until it
 * settles, and its backoffs are slept on the timeline. Rollouts are told apart by `member.run`.
 */
export async function putOnTimeline(client: object): Promise<void> {
  if (onTimeline.has(client)) return;
  onTimeline.add(client);
  const sdk = client as SdkClient;
  const strategy = new TimelineRetryStrategy();
  // The retry middleware reads the strategy from the client's config on every call.
  sdk.config.retryStrategy = async () => strategy;
  sdk.middlewareStack.add(
    (next) => async (args) => {
      const member = currentMember();
      member?.callStarted();
      try {
        return await next(args);
      } finally {
        member?.callEnded();
      }
    },
    { step: 'initialize', name: 'fledgeTimelineCall' },
  );
}

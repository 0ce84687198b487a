import { type Clock, systemClock } from './clock';
import { readFunctionTags } from './function-tags';
import { EventBridgePublisher, type EventPublisher } from './lifecycle';
import { DynamoDbRolloutLock, noLock, type RolloutLock } from './lock';
import { CloudWatchMetricsSource } from './metrics/cloudwatch';
import type { MetricsSource, TrafficRouter } from './ports';
import { createRouter } from './routers';
import type { Target } from './schema';
import type { TagReader } from './triggers';

/** What the rollout steps need from the outside world; tests and the local runner swap any of it. */
export interface Deps {
  clock: Clock;
  router(target: Target): TrafficRouter;
  metrics: MetricsSource;
  lock: RolloutLock;
  events: EventPublisher;
  tags: TagReader;
}

let defaults: Deps | undefined;

/**
 * The production wiring: system clock, AWS-backed router, CloudWatch, EventBridge, and the lock table
 * named by FLEDGE_LOCK_TABLE (set by serverless.yml; without it nothing is serialized). Clients are
 * created on first use and reused while the Lambda is warm.
 */
export function defaultDeps(): Deps {
  if (!defaults) {
    const table = process.env.FLEDGE_LOCK_TABLE;
    defaults = {
      clock: systemClock,
      router: createRouter,
      metrics: new CloudWatchMetricsSource(),
      lock: table ? new DynamoDbRolloutLock(table) : noLock,
      events: new EventBridgePublisher(),
      tags: readFunctionTags,
    };
  }
  return defaults;
}

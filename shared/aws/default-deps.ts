import { systemClock } from '../core/clock';
import { lazy } from '../core/lazy';
import type { Deps } from '../steps/deps';
import { CloudWatchMetricsSource } from './cloudwatch';
import { EventBridgePublisher } from './events';
import { readFunctionTags } from './function-tags';
import { lockFromEnv } from './lock';
import { createRouter } from './routers';

/**
 * The whole production wiring, for the CLI and the demo, which run every step in one process: system
 * clock, AWS-backed routers, CloudWatch, EventBridge, and the lock table named by FLEDGE_LOCK_TABLE
 * (without it nothing is serialized). The Lambda functions wire only what their step uses.
 */
export const defaultDeps = lazy(
  (): Deps => ({
    clock: systemClock,
    router: createRouter,
    metrics: new CloudWatchMetricsSource(),
    lock: lockFromEnv(),
    events: new EventBridgePublisher(),
    tags: readFunctionTags,
  }),
);

import { type Clock, systemClock } from './clock';
import { CloudWatchMetricsSource } from './metrics/cloudwatch';
import type { MetricsSource, TrafficRouter } from './ports';
import { createRouter } from './routers';
import type { Target } from './schema';

/** What the rollout steps need from the outside world; tests and the local runner swap any of it. */
export interface Deps {
  clock: Clock;
  router(target: Target): TrafficRouter;
  metrics: MetricsSource;
}

let defaults: Deps | undefined;

/** The production wiring: system clock, AWS-backed router and CloudWatch, clients reused while warm. */
export function defaultDeps(): Deps {
  if (!defaults)
    defaults = { clock: systemClock, router: createRouter, metrics: new CloudWatchMetricsSource() };
  return defaults;
}

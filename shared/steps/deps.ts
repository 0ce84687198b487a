import type { EventPublisher } from '../aws/events';
import type { Clock } from '../core/clock';
import type { MetricsSource, RolloutRecords, TrafficRouter } from '../core/ports';
import type { Executions } from '../core/record';
import type { Target } from '../core/schema';
import type { TagReader } from '../core/triggers';

/** Why a hook could not be invoked, or undefined (shared/aws/hook-functions.ts). */
export type HookCheck = (ref: string) => Promise<string | undefined>;

/**
 * Everything a rollout step may need from the outside world. Each step takes only the part it uses
 * (`Pick<Deps, …>`), and each function wires only that part, so a bundle carries and starts only the
 * clients its step calls. Tests and the local runner pass their own.
 */
export interface Deps {
  clock: Clock;
  router(target: Target): TrafficRouter;
  metrics: MetricsSource;
  records: RolloutRecords;
  events: EventPublisher;
  tags: TagReader;
  hooks: HookCheck;
  executions: Executions;
}

import { CloudWatchMetricsSource } from '../../shared/aws/cloudwatch';
import { EventBridgePublisher } from '../../shared/aws/events';
import { readFunctionTags } from '../../shared/aws/function-tags';
import { lockFromEnv } from '../../shared/aws/lock';
import { createRouter } from '../../shared/aws/routers';
import { systemClock } from '../../shared/core/clock';
import { stepHandler } from '../../shared/lambda/step-handler';
import type { Deps } from '../../shared/steps/deps';
import { plan } from '../../shared/steps/plan';

/** Input of the Plan task: the console input (or a trigger's event) and the execution id. */
export interface PlanEvent {
  input: unknown;
  executionId?: string;
}

const wire = (): Deps => ({
  clock: systemClock,
  router: createRouter,
  metrics: new CloudWatchMetricsSource(),
  lock: lockFromEnv(),
  events: new EventBridgePublisher(),
  tags: readFunctionTags,
});

export const createHandler = (deps: () => Deps = wire) =>
  stepHandler(
    'plan',
    (event: PlanEvent, d) => plan(event.input, d, { executionId: event.executionId ?? 'unknown' }),
    deps,
  );

export const handler = createHandler();

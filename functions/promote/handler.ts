import { EventBridgePublisher } from '../../shared/aws/events';
import { deployedRecords } from '../../shared/aws/records';
import { type Clock, systemClock } from '../../shared/core/clock';
import { type EndWeight, endWeightsOf, publishEndWeight } from '../../shared/lambda/end-metrics';
import { stepHandler } from '../../shared/lambda/step-handler';
import { type EndDeps, type Outcome, promote, type RolloutEvent } from '../../shared/steps/rollout';
import { createRouter } from '../../shared/targets/routers';

const wire = (): EndDeps => ({
  clock: systemClock,
  router: createRouter,
  events: new EventBridgePublisher(),
  records: deployedRecords(),
});

/** The weight the target ended at, for the dashboard (shared/lambda/end-metrics.ts). */
const ended = (o: Outcome, event: RolloutEvent): EndWeight[] => endWeightsOf(o, event.rollout);

/**
 * With `metrics` (the clock that stamps them), the end weight goes to CloudWatch: the deployed function.
 * Local runs pass none.
 */
export const createHandler = (deps: () => EndDeps = wire, metrics?: Pick<Clock, 'now'>) => {
  const handler = stepHandler('promote', (event: RolloutEvent, d) => promote(event.rollout, d), deps);
  return metrics ? handler.use(publishEndWeight(ended, metrics)) : handler;
};

export const handler = createHandler(wire, systemClock);

import { EventBridgePublisher } from '../../shared/aws/events';
import { deployedRecords } from '../../shared/aws/records';
import { createRouter } from '../../shared/aws/routers';
import { systemClock } from '../../shared/core/clock';
import { stepHandler } from '../../shared/lambda/step-handler';
import { type EndDeps, type RolloutEvent, rollback } from '../../shared/steps/rollout';

const wire = (): EndDeps => ({
  clock: systemClock,
  router: createRouter,
  events: new EventBridgePublisher(),
  records: deployedRecords(),
});

export const createHandler = (deps: () => EndDeps = wire) =>
  stepHandler('rollback', (event: RolloutEvent, d) => rollback(event.rollout, d), deps);

export const handler = createHandler();

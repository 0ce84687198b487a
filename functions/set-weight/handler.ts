import { EventBridgePublisher } from '../../shared/aws/events';
import { deployedRecords } from '../../shared/aws/records';
import { systemClock } from '../../shared/core/clock';
import { stepHandler } from '../../shared/lambda/step-handler';
import { type RolloutEvent, type SetWeightDeps, setWeight } from '../../shared/steps/rollout';
import { createRouter } from '../../shared/targets/routers';

const wire = (): SetWeightDeps => ({
  clock: systemClock,
  router: createRouter,
  events: new EventBridgePublisher(),
  records: deployedRecords(),
});

export const createHandler = (deps: () => SetWeightDeps = wire) =>
  stepHandler('set-weight', (event: RolloutEvent, d) => setWeight(event.rollout, d), deps);

export const handler = createHandler();

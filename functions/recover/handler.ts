import { EventBridgePublisher } from '../../shared/aws/events';
import { stepFunctionsExecutions } from '../../shared/aws/executions';
import { deployedRecords } from '../../shared/aws/records';
import { createRouter } from '../../shared/aws/routers';
import { systemClock } from '../../shared/core/clock';
import { stepHandler } from '../../shared/lambda/step-handler';
import { type RecoverDeps, type RecoveryEvent, recoverEvent } from '../../shared/steps/recover';

const wire = (): RecoverDeps => ({
  clock: systemClock,
  router: createRouter,
  records: deployedRecords(),
  events: new EventBridgePublisher(),
  executions: stepFunctionsExecutions,
});

/**
 * Invoked by EventBridge: an execution's status change, or the schedule's sweep. A status change may wait
 * in this invocation for a stopped execution's Task to end, within what is left of its time.
 */
export const createHandler = (deps: () => RecoverDeps = wire) =>
  stepHandler(
    'recover',
    (event: RecoveryEvent, d, context) =>
      recoverEvent(event, d, { remainingMs: context?.getRemainingTimeInMillis?.() }),
    deps,
  );

export const handler = createHandler();

import { EventBridgePublisher } from '../../shared/aws/events';
import { stepFunctionsExecutions } from '../../shared/aws/executions';
import { deployedRecords } from '../../shared/aws/records';
import { type Clock, systemClock } from '../../shared/core/clock';
import { type EndWeight, publishEndWeight } from '../../shared/lambda/end-metrics';
import { stepHandler } from '../../shared/lambda/step-handler';
import {
  type RecoverDeps,
  type Recovery,
  type RecoveryEvent,
  type RecoveryFailedError,
  recoverEvent,
} from '../../shared/steps/recover';
import { createRouter } from '../../shared/targets/routers';

const wire = (): RecoverDeps => ({
  clock: systemClock,
  router: createRouter,
  records: deployedRecords(),
  events: new EventBridgePublisher(),
  executions: stepFunctionsExecutions,
});

/** The baselines recovery restored, for the dashboard's weight (shared/lambda/end-metrics.ts). */
const restored = (results: Recovery[]): EndWeight[] =>
  results.flatMap((r) =>
    r.action === 'rolled-back' && r.target && r.weight !== undefined
      ? [{ target: r.target, weight: r.weight, executionId: r.owner, outcome: r.action }]
      : [],
  );

/**
 * Invoked by EventBridge: an execution's status change, or the schedule's sweep. A status change may wait
 * in this invocation for a stopped execution's Task to end, within what is left of its time. With
 * `metrics` (the clock that stamps them), each restored target's weight goes to CloudWatch.
 */
export const createHandler = (deps: () => RecoverDeps = wire, metrics?: Pick<Clock, 'now'>) => {
  const handler = stepHandler(
    'recover',
    (event: RecoveryEvent, d, context) =>
      recoverEvent(event, d, { remainingMs: context?.getRemainingTimeInMillis?.() }),
    deps,
  );
  // An invocation that failed for one target may have restored another.
  const restoredDespite = (error: unknown) =>
    (error as Error)?.name === 'RecoveryFailedError' ? restored((error as RecoveryFailedError).results) : [];
  return metrics ? handler.use(publishEndWeight(restored, metrics, restoredDespite)) : handler;
};

export const handler = createHandler(wire, systemClock);

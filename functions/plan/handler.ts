import { CloudWatchMetricsSource } from '../../shared/aws/cloudwatch';
import { EventBridgePublisher } from '../../shared/aws/events';
import { stepFunctionsExecutions } from '../../shared/aws/executions';
import { readFunctionTags } from '../../shared/aws/function-tags';
import { hookProblem } from '../../shared/aws/hook-functions';
import { deployedRecords } from '../../shared/aws/records';
import { systemClock } from '../../shared/core/clock';
import { stepHandler } from '../../shared/lambda/step-handler';
import { type PlanDeps, plan } from '../../shared/steps/plan';
import { createRouter } from '../../shared/targets/routers';

/** Input of the Plan task: the console input (or a trigger's event) and the execution id. */
export interface PlanEvent {
  input: unknown;
  executionId?: string;
  /** Set by the local runner (`fledge run`), never by the state machine. */
  local?: boolean;
}

const wire = (): PlanDeps => ({
  clock: systemClock,
  router: createRouter,
  metrics: new CloudWatchMetricsSource(),
  records: deployedRecords(stepFunctionsExecutions),
  events: new EventBridgePublisher(),
  tags: readFunctionTags,
  hooks: hookProblem,
});

export const createHandler = (deps: () => PlanDeps = wire) =>
  stepHandler(
    'plan',
    (event: PlanEvent, d) =>
      plan(event.input, d, { executionId: event.executionId ?? 'unknown', local: event.local === true }),
    deps,
  );

export const handler = createHandler();

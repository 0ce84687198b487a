import { CloudWatchMetricsSource } from '../../shared/aws/cloudwatch';
import { deployedRecords } from '../../shared/aws/records';
import { systemClock } from '../../shared/core/clock';
import { stepHandler } from '../../shared/lambda/step-handler';
import { type EvaluateDeps, evaluate, type RolloutEvent } from '../../shared/steps/rollout';

const wire = (): EvaluateDeps => ({
  clock: systemClock,
  metrics: new CloudWatchMetricsSource(),
  records: deployedRecords(),
});

export const createHandler = (deps: () => EvaluateDeps = wire) =>
  stepHandler('evaluate-metrics', (event: RolloutEvent, d) => evaluate(event.rollout, d), deps);

export const handler = createHandler();

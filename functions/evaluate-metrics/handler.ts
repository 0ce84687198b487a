import type { Metrics } from '@aws-lambda-powertools/metrics';
import { CloudWatchMetricsSource } from '../../shared/aws/cloudwatch';
import { deployedRecords } from '../../shared/aws/records';
import { systemClock } from '../../shared/core/clock';
import { checkMetrics, publishCheckMetrics } from '../../shared/lambda/check-metrics';
import { stepHandler } from '../../shared/lambda/step-handler';
import { type EvaluateDeps, evaluate, type RolloutEvent } from '../../shared/steps/rollout';

const wire = (): EvaluateDeps => ({
  clock: systemClock,
  metrics: new CloudWatchMetricsSource(),
  records: deployedRecords(),
});

/** With `metrics`, each check's figures go to CloudWatch (the deployed function); local runs pass none. */
export const createHandler = (deps: () => EvaluateDeps = wire, metrics?: Metrics) => {
  const handler = stepHandler(
    'evaluate-metrics',
    (event: RolloutEvent, d) => evaluate(event.rollout, d),
    deps,
  );
  return metrics ? handler.use(publishCheckMetrics(metrics)) : handler;
};

export const handler = createHandler(wire, checkMetrics());

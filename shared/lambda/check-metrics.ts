import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import { targetLabel } from '../core/target-label';
import type { RolloutEvent, RolloutState } from '../steps/rollout';
import { METRICS_NAMESPACE } from './end-metrics';

// Defined beside the end-weight line, which the functions without Powertools Metrics bundle.
export { METRICS_NAMESPACE };

/** One Metrics instance for the evaluate function, reused while the Lambda is warm. */
export function checkMetrics(): Metrics {
  return new Metrics({ namespace: METRICS_NAMESPACE });
}

/**
 * Publishes each check's figures as CloudWatch metrics per target, in the embedded metric format: one
 * JSON log line that CloudWatch turns into metrics, with no PutMetricData call and no added latency.
 * Under the dimensions `service` and `Target` (`checkout:live`): CanaryWeight, CanaryErrorRate and
 * BaselineErrorRate (percent, over the check's window), Evidence and EvidenceThreshold (the e-value
 * and the level that rolls back). `Checks` (a count) also has the dimension `Verdict`. A figure the
 * check could not compute (no requests yet) is left out, never sent as 0. The execution id, verdict,
 * next action and reason ride along as properties, for Logs Insights.
 */
export function publishCheckMetrics(metrics: Metrics): MiddlewareObj<RolloutEvent, RolloutState> {
  return {
    after: (request) => {
      const state = request.response;
      if (!state?.lastVerdict) return;
      publishCheck(metrics, state);
    },
  };
}

/**
 * A release's check is one set of lines per target, each with the target's own verdict and evidence, so
 * the dashboard draws every target of the release as its own series; the action is the release's.
 */
function publishCheck(metrics: Metrics, state: RolloutState): void {
  const judged = state.release?.members ?? [{ target: state.target, lastVerdict: state.lastVerdict }];
  for (const { target, lastVerdict } of judged) {
    if (!lastVerdict) continue;
    recordTarget(metrics, state, target, lastVerdict);
    metrics.publishStoredMetrics();
  }
}

function recordTarget(
  metrics: Metrics,
  state: RolloutState,
  of: RolloutState['target'],
  verdict: NonNullable<RolloutState['lastVerdict']>,
): void {
  const target = targetLabel(of);
  const evidence = verdict.evidence;
  metrics.addDimension('Target', target);
  metrics.addMetric('CanaryWeight', MetricUnit.Percent, state.traffic.weight);
  const canaryRate = evidence?.canary.errorRate;
  const baselineRate = evidence?.baseline.errorRate;
  if (typeof canaryRate === 'number')
    metrics.addMetric('CanaryErrorRate', MetricUnit.Percent, canaryRate * 100);
  if (typeof baselineRate === 'number') {
    metrics.addMetric('BaselineErrorRate', MetricUnit.Percent, baselineRate * 100);
  }
  if (evidence?.test && Number.isFinite(evidence.test.eValue)) {
    metrics.addMetric('Evidence', MetricUnit.NoUnit, evidence.test.eValue);
    metrics.addMetric('EvidenceThreshold', MetricUnit.NoUnit, evidence.test.threshold);
  }
  metrics.addMetadata('executionId', state.executionId);
  metrics.addMetadata('verdict', verdict.verdict);
  metrics.addMetadata('action', state.next.action);
  metrics.addMetadata('reason', verdict.reason);
  // A separate line, so the Verdict dimension does not multiply the other metrics.
  const check = metrics.singleMetric();
  check.addDimensions({ Target: target, Verdict: verdict.verdict });
  check.addMetric('Checks', MetricUnit.Count, 1);
}

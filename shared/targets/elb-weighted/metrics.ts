/**
 * The AWS/ApplicationELB metrics of one target group behind a load balancer. Pure: they name metrics,
 * they do not read them. CloudWatch publishes per-target-group metrics with both dimensions
 * (`TargetGroup`, `LoadBalancer`), spelled as the ARNs' resource parts.
 */
import type { MetricRef } from '../../core/ports';
import { loadBalancerDimension, targetGroupDimension } from './arns';
import type { ElbWeightedTarget } from './schema';

/**
 * The metrics that judge a target group: requests it received, the 5xx its targets answered
 * (published only in minutes that have some: an absent minute with requests is zero errors), and how
 * long its targets took to answer (seconds). HTTPCode_ELB_5XX_Count is the load balancer's own and is
 * published per load balancer only, so it cannot be pinned on the canary: it belongs in an alarm gate.
 */
export const JUDGED = {
  requests: 'RequestCount',
  errors: 'HTTPCode_Target_5XX_Count',
  latency: 'TargetResponseTime',
} as const;

export function targetGroupMetric(
  target: ElbWeightedTarget,
  targetGroupArn: string,
): (metricName: string) => MetricRef {
  const dimensions = {
    TargetGroup: targetGroupDimension(targetGroupArn),
    LoadBalancer: loadBalancerDimension(target.listenerArn),
  };
  return (metricName) => ({ namespace: 'AWS/ApplicationELB', metricName, dimensions });
}

/**
 * Which CloudWatch metrics judge a rollout: the input's (analysis.requests, errors, latency), or the
 * target kind's defaults. Pure: they name metrics, they do not read them.
 */
import { kindOf } from '../targets/kinds';
import type { CountsQuery, LatencyQuery, MetricRef } from './ports';
import type { AnalysisInput, MetricPair, Target } from './schema';

type ArmPair = { canary: MetricRef; baseline: MetricRef };
type Thresholds = Record<string, { canary: number; baseline: number }>;

function pair(p: MetricPair): ArmPair {
  return {
    canary: { namespace: p.namespace, metricName: p.metricName, dimensions: p.canary },
    baseline: { namespace: p.namespace, metricName: p.metricName, dimensions: p.stable },
  };
}

/** The input's own latency metric, when it names one whole. */
function ownLatency(analysis: AnalysisInput): MetricPair | undefined {
  const l = analysis.latency;
  return l?.namespace && l.metricName && l.stable && l.canary
    ? { namespace: l.namespace, metricName: l.metricName, stable: l.stable, canary: l.canary }
    : undefined;
}

/** What the input must add for its target to be judged: each as "field: why". */
export function metricProblems(target: Target, analysis: AnalysisInput): string[] {
  const kind = kindOf(target);
  const { requests, errors, latency } = analysis;
  const problems: string[] = [];
  if (!kind.defaultMetrics && !(requests && errors)) {
    problems.push(
      `analysis.requests and analysis.errors are required for ${target.type} targets: they name the ` +
        `CloudWatch metrics of each side (${kind.metricsExample ?? 'requests and errors per side'})`,
    );
  }
  const named = [latency?.namespace, latency?.metricName, latency?.stable, latency?.canary];
  if (latency && named.some(Boolean) && !named.every(Boolean)) {
    problems.push(
      'analysis.latency: set namespace, metricName, stable and canary together, or none of them for the default',
    );
  } else if (latency && !kind.defaultMetrics && !named.every(Boolean)) {
    problems.push(`analysis.latency needs namespace, metricName, stable and canary for ${target.type}`);
  }
  return problems;
}

/**
 * The stable side's metrics before any traffic moves, which Plan reads its last hour from. Assumes
 * metricProblems found nothing.
 */
export function stableMetrics(
  target: Target,
  analysis: AnalysisInput,
): { requests: MetricRef; errors: MetricRef; latency?: MetricRef } {
  const defaults = kindOf(target).defaultMetrics?.stable(target);
  const { requests, errors, latency } = analysis;
  const own = ownLatency(analysis);
  const counts =
    requests && errors ? { requests: pair(requests).baseline, errors: pair(errors).baseline } : defaults;
  if (!counts) throw new Error(`no metrics for ${target.type}: metricProblems should have refused the input`);
  const latencyMetric = latency ? (own ? pair(own).baseline : defaults?.latency) : undefined;
  return {
    requests: counts.requests,
    errors: counts.errors,
    ...(latencyMetric ? { latency: latencyMetric } : {}),
  };
}

/**
 * The metrics each arm is judged on once the sides are known, with the latency thresholds Plan fixed
 * from the stable side's last hour. Assumes metricProblems found nothing.
 */
export function armQueries(
  target: Target,
  analysis: AnalysisInput,
  sides: { baseline: string; canary: string },
  thresholds: Thresholds,
): { counts: CountsQuery; latency: LatencyQuery[] } {
  const defaults = kindOf(target).defaultMetrics?.arms(target, sides);
  const { requests, errors, latency } = analysis;
  const own = ownLatency(analysis);
  const counts: CountsQuery | undefined =
    requests && errors
      ? {
          canary: { requests: pair(requests).canary, errors: pair(errors).canary },
          baseline: { requests: pair(requests).baseline, errors: pair(errors).baseline },
        }
      : defaults?.counts;
  if (!counts) throw new Error(`no metrics for ${target.type}: metricProblems should have refused the input`);
  const durations = own ? pair(own) : defaults?.latency;
  const compared =
    latency && durations
      ? latency.statistics.flatMap((statistic) => {
          const t = thresholds[statistic];
          return t ? [{ ...durations, statistic, thresholds: t }] : [];
        })
      : [];
  return { counts, latency: compared };
}

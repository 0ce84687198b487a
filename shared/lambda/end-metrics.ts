import type { MiddlewareObj } from '@middy/core';
import { type Clock, floorToMinute, MINUTE_MS } from '../core/clock';
import type { Target } from '../core/schema';
import { targetLabel } from '../core/target-label';

/** The CloudWatch namespace of fledge's own metrics; resources/observability.yml reads it. */
export const METRICS_NAMESPACE = 'fledge';

/** A target's canary weight once its rollout ended: 100 promoted, 0 rolled back or restored. */
export interface EndWeight {
  target: Target;
  weight: number;
  executionId: string;
  outcome: string;
}

/**
 * The end weights of a rollout's end: its target's, or, for a release, every target's (they end together,
 * at the same weight), so the dashboard draws each target of a release where it was left.
 */
export function endWeightsOf(
  outcome: { target: Target; weight: number; outcome: string },
  rollout: { executionId: string; release?: { members: ReadonlyArray<{ target: Target }> } | undefined },
): EndWeight[] {
  const targets = rollout.release?.members.map((m) => m.target) ?? [outcome.target];
  return targets.map((target) => ({
    target,
    weight: outcome.weight,
    executionId: rollout.executionId,
    outcome: outcome.outcome,
  }));
}

/**
 * The embedded-metric-format line of one end weight: `CanaryWeight` under the same namespace and
 * dimensions (`service`, `Target`) as each check's line (check-metrics.ts), so the dashboard's weight
 * follows the target to where the rollout left it instead of keeping the last check's. Stamped at the start
 * of the next minute: the dashboard plots each minute's maximum, and the last check, usually in the same
 * minute, would hide a rollback's 0 behind its own weight.
 */
export function endWeightLine(end: EndWeight, at: Date, service: string): string {
  return JSON.stringify({
    _aws: {
      Timestamp: floorToMinute(at).getTime() + MINUTE_MS,
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [['service', 'Target']],
          Metrics: [{ Name: 'CanaryWeight', Unit: 'Percent' }],
        },
      ],
    },
    service,
    Target: targetLabel(end.target),
    CanaryWeight: end.weight,
    executionId: end.executionId,
    outcome: end.outcome,
  });
}

/**
 * Prints the end weight of each rollout a step ended, as one EMF line on stdout, which CloudWatch turns into
 * the metric: no PutMetricData call, so no IAM and no latency. Written by hand rather than with Powertools
 * Metrics, which would grow the promote, rollback and recover bundles for one line (docs/PERFORMANCE.md).
 * The `service` dimension is Powertools' own (`POWERTOOLS_SERVICE_NAME`), so the check lines and these are
 * one series per target on the dashboard.
 */
export function publishEndWeight<E, R>(
  ends: (response: R, event: E) => EndWeight[],
  clock: Pick<Clock, 'now'>,
  /** The ends a failed invocation still reached (a recovery that restored one target of two). */
  endsOfError?: (error: unknown, event: E) => EndWeight[],
): MiddlewareObj<E, R> {
  const print = (list: () => EndWeight[]) => {
    const service = process.env.POWERTOOLS_SERVICE_NAME || 'service_undefined';
    try {
      for (const end of list()) process.stdout.write(`${endWeightLine(end, clock.now(), service)}\n`);
    } catch {
      // A metric never fails a step whose traffic write has landed: the retry would only repeat it.
    }
  };
  return {
    after: (request) => {
      const response = request.response;
      if (response !== undefined && response !== null) print(() => ends(response, request.event));
    },
    ...(endsOfError ? { onError: (request) => print(() => endsOfError(request.error, request.event)) } : {}),
  };
}

/**
 * The metric lag of a rollout: how long after a minute ends its metrics can be read complete. Pure; Plan
 * fixes it, and `fledge start` refuses a lag given too short before starting an execution.
 */
import { kindOf } from '../targets/kinds';
import { InvalidInputError } from './errors';
import type { TrafficContext } from './ports';
import { DEFAULT_METRIC_LAG_MINUTES, type Target } from './schema';

/**
 * How many minutes each check's window ends before now. Lambda publishes a request's metrics when it
 * ends, stamped with the minute it started: until a minute is as old as the longest request, the
 * canary's slow requests and timeouts are missing from it, and a hanging canary would look healthy
 * (and be promoted on minutes that lack its failures). Unset, the lag covers the longest request; a lag
 * given shorter than that is refused.
 */
export function metricLag(
  given: number | undefined,
  context: TrafficContext,
  target: Target,
): { minutes: number; reason?: string } {
  const seconds = context.requestSeconds;
  const needed = seconds === undefined ? 0 : Math.ceil(seconds / 60);
  const subject = kindOf(target).requestsOf(target, context);
  const why =
    `requests of ${subject} may run ${seconds} s, and Lambda publishes a request's metrics when it ends, ` +
    'stamped with the minute it started';
  if (given !== undefined) {
    if (given < needed) {
      throw new InvalidInputError(
        `analysis.metricLagMinutes: ${given} is shorter than the longest request: ${why}, so the newest ` +
          `${needed} minute(s) would miss the canary's slow requests and timeouts. Set it to at least ${needed}, ` +
          'or leave it unset',
      );
    }
    return { minutes: given };
  }
  if (needed <= DEFAULT_METRIC_LAG_MINUTES) return { minutes: DEFAULT_METRIC_LAG_MINUTES };
  return { minutes: needed, reason: `metric lag ${needed} minutes: ${why}` };
}

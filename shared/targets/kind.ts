/**
 * What fledge knows of a kind of target beyond moving its traffic: how to name it, what it locks, what a
 * schedule must respect on it, and which metrics judge it when the input names none. Pure: a kind's
 * router (its adapter to AWS) is registered apart, in routers.ts.
 */
import type { CountsQuery, MetricRef, TrafficContext } from '../core/ports';
import type { Provisioned } from '../core/provisioned';
import type { Step } from '../core/strategy';

/** Each side of a target, as a person names it (a Lambda version, a record's SetIdentifier, …). */
export interface Sides {
  baseline: string;
  canary: string;
}

/** The metrics a kind is judged on when the input names none. */
export interface DefaultMetrics<T> {
  /**
   * The stable side before any traffic moves (Plan reads its last hour): all of the target's traffic
   * reaches it then, so these may be the target's own metrics.
   */
  stable(target: T): { requests: MetricRef; errors: MetricRef; latency: MetricRef };
  /** Each arm once traffic is split, with the sides Plan read. */
  arms(target: T, sides: Sides): { counts: CountsQuery; latency: { canary: MetricRef; baseline: MetricRef } };
  /**
   * The error metric has no datapoint in a minute without errors (ALB HTTPCode_Target_5XX_Count), so a
   * missing datapoint is zero errors, as `analysis.errors.publishedOnlyWhenNonZero` says for named metrics.
   */
  errorsPublishedOnlyWhenNonZero?: boolean;
}

export interface TargetKind<T> {
  /** `checkout:live`; `media.example.com A (Z123)`: in messages, metric dimensions, report titles. */
  label(target: T): string;
  /** The key of the target's rollout record: what two rollouts must not share. */
  key(target: T): string;
  /** One side: `version 7`, `record 'canary'`. */
  sideLabel(id: string): string;
  /** The change a rollout makes, once its sides are known: `version 6 → 7`, `'blue' → 'green'`. */
  transition(sides: Sides): string;
  /** The target with what it changes: `alias checkout:live (version 6 → 7)`. Sides default to the input's. */
  recordLabel(target: T, sides?: Sides): string;
  /** The sides the input names: the canary always; the baseline when the input names it, not AWS. */
  sides(target: T): { canary: string; baseline?: string };
  /** A target as the input gives it before validation (fields may be missing or wrong), for a message. */
  describeRaw(raw: Record<string, unknown>): string;
  /** Limits of a schedule that need no AWS read: each as "field: why". */
  stepProblems(target: T, steps: readonly Step[]): string[];
  /**
   * The schedule fitted to the target as read (e.g. every step at least a DNS TTL long). Throws
   * InvalidInputError, naming the field, when it cannot fit and the input does not allow fitting it.
   */
  fitSteps(target: T, steps: Step[], context: TrafficContext): Step[];
  /** Whose requests `context.requestSeconds` bounds, for the metric lag's reason. */
  requestsOf(target: T, context: TrafficContext): string;
  /** Default metrics; without them, the input must name analysis.requests and analysis.errors. */
  defaultMetrics?: DefaultMetrics<T>;
  /** With no default metrics: an example of what analysis.requests and analysis.errors name. */
  metricsExample?: string;
  /**
   * Set when every series the input names must already be listed by CloudWatch at Plan, and why (API
   * Gateway does not document how a stage canary's series is spelled, so a series CloudWatch has never
   * seen may never come). Plan refuses, naming the field, any named series CloudWatch does not list.
   */
  namedMetricsMustBeListed?: string;
  /**
   * The capacity the canary side gets before it takes traffic, sized from what Plan read and the fitted
   * schedule (Lambda: provisioned concurrency), and a note for Plan's reason. Absent: none.
   */
  canaryCapacity?(
    target: T,
    steps: readonly Step[],
    context: TrafficContext,
  ): { plan?: Provisioned; note?: string };
}

/**
 * The Plan step: recognise the trigger, validate the input against the schema and then AWS, lock the
 * target, and fix the schedule. Moves no traffic. Kept apart from the other steps so only the plan
 * function bundles the schema.
 */

import { lambdaAliasCounts, lambdaVersionMetric } from '../aws/cloudwatch';
import { InvalidInputError, willBeRetried } from '../core/errors';
import { scheduleProblems } from '../core/limits';
import type { CountsQuery, LatencyQuery, MetricRef, TrafficContext } from '../core/ports';
import { type RolloutRecord, recordKey, recordLabel } from '../core/record';
import { MIN_SHARE_PERCENT } from '../core/route53-shares';
import {
  type AnalysisConfig,
  DeployInputSchema,
  describeIssues,
  type MetricPair,
  type Target,
} from '../core/schema';
import { resolveStrategy, type Step } from '../core/strategy';
import { interpretTrigger } from '../core/triggers';
import { bestEffort } from './bookkeeping';
import type { Deps } from './deps';
import { eventDetail, type RolloutState, recordOf } from './rollout';

export interface PlanContext {
  /** The Step Functions execution ARN: the lock owner. */
  executionId: string;
}

/** What Plan returns when the trigger is not for fledge: the run ends SUCCEEDED, changing nothing. */
export interface SkippedRun {
  next: { action: 'skip'; reason: string };
  trigger: RolloutState['trigger'];
}

/**
 * Validates the input and fixes the plan. Every refusal comes before anything is written, and names the
 * field to change. Then: the event is claimed (a re-delivery of an event whose rollout was refused is
 * tried again), the target's record is taken, and the router reads the baseline; for Route 53 it writes
 * the canary record's new values at weight 0. A refusal from then on frees both.
 */
export type PlanDeps = Pick<Deps, 'clock' | 'router' | 'metrics' | 'records' | 'events' | 'tags'>;

export async function plan(
  raw: unknown,
  deps: PlanDeps,
  context: PlanContext,
): Promise<RolloutState | SkippedRun> {
  const trigger = await interpretTrigger(raw, deps.tags);
  const triggerInfo = { source: trigger.source, ...(trigger.eventId ? { eventId: trigger.eventId } : {}) };
  if (trigger.kind === 'skip')
    return { next: { action: 'skip', reason: trigger.reason }, trigger: triggerInfo };
  const parsed = DeployInputSchema.safeParse(trigger.input);
  if (!parsed.success) {
    throw new InvalidInputError(`invalid rollout input: ${describeIssues(parsed.error.issues).join('; ')}`);
  }
  const { target, strategy, analysis, hooks } = parsed.data;
  let steps = resolveStrategy(strategy);
  const problems = [
    ...targetProblems(target, steps),
    ...scheduleProblems(
      steps,
      {
        checkIntervalMinutes: analysis.checkIntervalMinutes,
        metricLagMinutes: analysis.metricLagMinutes,
        maxExtraMinutes: analysis.insufficientData.maxExtraMinutes,
      },
      byteSize(raw) + byteSize(parsed.data) + byteSize(steps),
    ),
  ];
  if (problems.length > 0) throw new InvalidInputError(`invalid rollout input: ${problems.join('; ')}`);
  // Everything that can be refused without touching the target is checked before prepare(), which
  // may write (a Route 53 canary record's new values, at weight 0).
  const queriesFor = metricQueries(target, analysis);
  const missing = await deps.metrics.missingAlarms(analysis.alarms);
  if (missing.length > 0) {
    throw new InvalidInputError(`analysis.alarms: no CloudWatch alarm named ${missing.join(', ')}`);
  }
  const now = deps.clock.now();
  const owner = context.executionId;
  if (trigger.eventId) {
    const earlier = await deps.records.claimEvent(trigger.eventId, owner, now);
    if (earlier) {
      return {
        next: {
          action: 'skip',
          reason: `event ${trigger.eventId} was already delivered; it started ${earlier}`,
        },
        trigger: triggerInfo,
      };
    }
  }
  const record: RolloutRecord = {
    key: recordKey(target),
    owner,
    since: now.toISOString(),
    updatedAt: now.toISOString(),
    status: 'planning',
    target,
    label: recordLabel(target),
  };
  let traffic: TrafficContext;
  try {
    await deps.records.acquire(record);
    try {
      traffic = await deps.router(target).prepare((context) => checkCaching(target, steps, context));
    } catch (error) {
      // A transient failure is retried by the state machine as the same owner; freeing the target now
      // could land after the retry took it again. If retries run out, recovery frees it.
      if (willBeRetried(error)) throw error;
      await bestEffort('freeing the target after a refused plan', () =>
        deps.records.finish({
          ...record,
          status: 'rejected',
          updatedAt: deps.clock.now().toISOString(),
          outcome: {
            outcome: 'rejected',
            reason: (error as Error).message,
            at: deps.clock.now().toISOString(),
          },
        }),
      );
      throw error;
    }
  } catch (error) {
    if (trigger.eventId && !willBeRetried(error)) {
      const eventId = trigger.eventId;
      await bestEffort('forgetting the refused event', () => deps.records.releaseEvent(eventId, owner));
    }
    throw error;
  }
  steps = stretchedSteps(target, steps, traffic);
  const { counts, latency } = queriesFor(traffic);
  const reason = steps.length > 0 ? `${steps.length} step(s) planned` : 'AllAtOnce: no canary steps';
  const state: RolloutState = {
    target,
    strategy,
    steps,
    analysis,
    hooks,
    metrics: counts,
    latency,
    traffic,
    progress: { stepIndex: 0, checks: 0, consecutiveErrors: 0 },
    next: { action: steps.length > 0 ? 'advance' : 'promote', reason },
    waitSeconds: 0,
    startedAt: now.toISOString(),
    executionId: owner,
    trigger: triggerInfo,
    record: { key: record.key, owner },
    label: recordLabel(target, traffic),
  };
  await bestEffort('recording the plan', () =>
    deps.records.save(recordOf(state, 'planned', now.toISOString())),
  );
  await deps.events.publish('Canary Started', { ...eventDetail(state), steps: state.steps });
  return state;
}

/** Target-specific limits of a schedule. */
function targetProblems(target: Target, steps: readonly Step[]): string[] {
  if (target.type !== 'route53-weighted') return [];
  return steps.flatMap((step, i) =>
    step.weight < MIN_SHARE_PERCENT
      ? [
          `strategy.steps[${i}].weight: ${step.weight}% is below the smallest share Route 53 can route to one ` +
            `of two records (weights are integers 0-255: 1/256 = ${MIN_SHARE_PERCENT.toFixed(2)}%)`,
        ]
      : [],
  );
}

function byteSize(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '');
}

/**
 * DNS resolvers keep an answer for the record's TTL, so a split is only real once caches expire: a step
 * must last at least TTL + margin, or it is judged on traffic that never saw it.
 */
function minimumBakeSeconds(target: Target, context: TrafficContext): number | undefined {
  if (target.type !== 'route53-weighted' || context.ttlSeconds === undefined) return undefined;
  return context.ttlSeconds + target.ttlMarginSeconds;
}

function checkCaching(target: Target, steps: readonly Step[], context: TrafficContext): void {
  const minimum = minimumBakeSeconds(target, context);
  if (minimum === undefined || target.type !== 'route53-weighted' || target.stretchShortSteps) return;
  const index = steps.findIndex((s) => s.bakeSeconds < minimum);
  const step = steps[index];
  if (step) {
    throw new InvalidInputError(
      `strategy: step ${index + 1} bakes ${step.bakeSeconds}s, but ${target.recordName} has a TTL of ` +
        `${context.ttlSeconds}s, so resolvers would keep the old split for most of the step. Use steps of at ` +
        `least ${minimum}s (TTL + ttlMarginSeconds ${target.ttlMarginSeconds}), lower the TTL, or set ` +
        'target.stretchShortSteps to lengthen them',
    );
  }
}

function stretchedSteps(target: Target, steps: Step[], context: TrafficContext): Step[] {
  const minimum = minimumBakeSeconds(target, context);
  if (minimum === undefined) return steps;
  return steps.map((s) => ({ ...s, bakeSeconds: Math.max(s.bakeSeconds, minimum) }));
}

type Queries = { counts: CountsQuery; latency: LatencyQuery[] };
type ArmPair = { canary: MetricRef; baseline: MetricRef };

/**
 * The CloudWatch metrics each side is judged on: the user's, or AWS/Lambda's per-version metrics for
 * an alias. Validated now; the Lambda dimensions need the baseline version, known after prepare().
 */
function metricQueries(target: Target, analysis: AnalysisConfig): (traffic: TrafficContext) => Queries {
  const { requests, errors, latency } = analysis;
  const pair = (p: MetricPair): ArmPair => ({
    canary: { namespace: p.namespace, metricName: p.metricName, dimensions: p.canary },
    baseline: { namespace: p.namespace, metricName: p.metricName, dimensions: p.stable },
  });
  const lambda = target.type === 'lambda-alias';
  if (!lambda && !(requests && errors)) {
    throw new InvalidInputError(
      `analysis.requests and analysis.errors are required for ${target.type} targets: ` +
        'they name the CloudWatch metrics of each side (e.g. ALB RequestCount and HTTPCode_Target_5XX_Count)',
    );
  }
  const named = [latency?.namespace, latency?.metricName, latency?.stable, latency?.canary];
  if (latency && named.some(Boolean) && !named.every(Boolean)) {
    throw new InvalidInputError(
      'analysis.latency: set namespace, metricName, stable and canary together, or none of them for the default',
    );
  }
  if (latency && !lambda && !named.every(Boolean)) {
    throw new InvalidInputError(
      `analysis.latency needs namespace, metricName, stable and canary for ${target.type}`,
    );
  }
  const ownLatency =
    latency?.namespace && latency.metricName && latency.stable && latency.canary
      ? pair({
          namespace: latency.namespace,
          metricName: latency.metricName,
          stable: latency.stable,
          canary: latency.canary,
        })
      : undefined;
  return (traffic) => {
    const version = lambda ? lambdaVersionMetric(target.functionName, target.alias) : undefined;
    const counts: CountsQuery =
      requests && errors
        ? {
            canary: { requests: pair(requests).canary, errors: pair(errors).canary },
            baseline: { requests: pair(requests).baseline, errors: pair(errors).baseline },
          }
        : lambdaDefaults(target, traffic);
    const durations: ArmPair | undefined =
      ownLatency ??
      (version
        ? { canary: version('Duration', traffic.canary), baseline: version('Duration', traffic.baseline) }
        : undefined);
    const percentiles =
      latency && durations ? latency.statistics.map((statistic) => ({ ...durations, statistic })) : [];
    return { counts, latency: percentiles };
  };
}

function lambdaDefaults(target: Target, traffic: TrafficContext): CountsQuery {
  if (target.type !== 'lambda-alias')
    throw new InvalidInputError(`no default metrics for ${target.type} targets`);
  return lambdaAliasCounts(target.functionName, target.alias, traffic.baseline, traffic.canary);
}

/**
 * The Plan step: recognise the trigger, validate the input against the schema and then AWS, lock the
 * target, and fix the schedule. Moves no traffic. Kept apart from the other steps so only the plan
 * function bundles the schema.
 */

import { lambdaAliasCounts, lambdaAliasMetric, lambdaVersionMetric } from '../aws/cloudwatch';
import { floorToMinute, MINUTE_MS } from '../core/clock';
import { InvalidInputError, willBeRetried } from '../core/errors';
import {
  EXTRA_MINUTES,
  extraHold,
  forecastRollout,
  latencyThresholds,
  type Prior,
  summarizeHistory,
} from '../core/history';
import { scheduleProblems } from '../core/limits';
import { metricLag } from '../core/metric-lag';
import { gateAfter } from '../core/operator';
import type { CountsQuery, LatencyQuery, MetricRef, SideQuery, TrafficContext } from '../core/ports';
import { type RolloutRecord, recordKey, recordLabel } from '../core/record';
import { MIN_SHARE_PERCENT } from '../core/route53-shares';
import {
  type AnalysisInput,
  DEFAULT_METRIC_LAG_MINUTES,
  DeployInputSchema,
  describeIssues,
  type GatesConfig,
  type MetricPair,
  resolvedAnalysis,
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
  /** Run in-process by `fledge run`: input given as it is comes from `local`, not the console. */
  local?: boolean;
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
export type PlanDeps = Pick<Deps, 'clock' | 'router' | 'metrics' | 'records' | 'events' | 'tags' | 'hooks'>;

export async function plan(
  raw: unknown,
  deps: PlanDeps,
  context: PlanContext,
): Promise<RolloutState | SkippedRun> {
  const trigger = await interpretTrigger(raw, deps.tags);
  const source = context.local && trigger.source === 'console' ? 'local' : trigger.source;
  const triggerInfo = { source, ...(trigger.eventId ? { eventId: trigger.eventId } : {}) };
  if (trigger.kind === 'skip')
    return { next: { action: 'skip', reason: trigger.reason }, trigger: triggerInfo };
  const parsed = DeployInputSchema.safeParse(trigger.input);
  if (!parsed.success) {
    throw new InvalidInputError(`invalid rollout input: ${describeIssues(parsed.error.issues).join('; ')}`);
  }
  const { target, strategy, analysis: given, hooks, gates } = parsed.data;
  let steps = withSwitchBake(resolveStrategy(strategy), given);
  const stateBytes = byteSize(raw) + byteSize(parsed.data) + byteSize(steps);
  // Until the target is read, the lag as given or its default; Plan may lengthen it for long requests.
  const givenLag = given.metricLagMinutes ?? DEFAULT_METRIC_LAG_MINUTES;
  const scheduleFits = (maxExtraMinutes: number, planned: Step[], metricLagMinutes = givenLag) =>
    scheduleProblems(
      planned,
      {
        checkIntervalMinutes: given.checkIntervalMinutes,
        metricLagMinutes,
        maxExtraMinutes,
        extraHoldSeconds: operatorHoldSeconds(planned, gates),
      },
      stateBytes,
    );
  const problems = [
    ...targetProblems(target, steps),
    ...gateProblems(steps, gates),
    ...scheduleFits(given.insufficientData.maxExtraMinutes ?? EXTRA_MINUTES.base, steps),
  ];
  if (problems.length > 0) throw new InvalidInputError(`invalid rollout input: ${problems.join('; ')}`);
  // Everything that can be refused without touching the target is checked before prepare(), which
  // may write (a Route 53 canary record's new values, at weight 0).
  const queriesFor = metricQueries(target, given);
  const missing = await deps.metrics.missingAlarms(given.alarms);
  if (missing.length > 0) {
    throw new InvalidInputError(`analysis.alarms: no CloudWatch alarm named ${missing.join(', ')}`);
  }
  const unwatchable = await deps.metrics.unwatchableChecks(given.healthChecks);
  if (unwatchable.length > 0) {
    throw new InvalidInputError(`analysis.healthChecks: ${unwatchable.join('; ')}`);
  }
  const hookProblems = await Promise.all(
    Object.entries(hooks).map(async ([when, ref]) => {
      const problem = ref ? await deps.hooks(ref) : undefined;
      return problem ? `hooks.${when}: ${problem}` : undefined;
    }),
  );
  if (hookProblems.some(Boolean)) {
    throw new InvalidInputError(`invalid rollout input: ${hookProblems.filter(Boolean).join('; ')}`);
  }
  const now = deps.clock.now();
  const owner = context.executionId;
  // The hour before the target is read uses the lag as given: with long requests its newest minutes miss
  // some of them, a small share of the hour that fixes the prior and the latency thresholds.
  const { prior, thresholds } = await readLastHour(target, given, givenLag, deps, now);
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
      traffic = await deps.router(target).prepare((context) => {
        checkCaching(target, steps, context);
        const lag = metricLag(given.metricLagMinutes, context, target);
        const lagProblems = scheduleFits(
          given.insufficientData.maxExtraMinutes ?? EXTRA_MINUTES.base,
          steps,
          lag.minutes,
        );
        if (lagProblems.length > 0) {
          throw new InvalidInputError(
            `invalid rollout input: ${lag.reason ? `${lag.reason}; ` : ''}${lagProblems.join('; ')}`,
          );
        }
      });
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
  const { counts, latency } = queriesFor(traffic, thresholds);
  const lag = metricLag(given.metricLagMinutes, traffic, target);
  const extra = extraHold(
    given.insufficientData.maxExtraMinutes,
    prior,
    (minutes) => scheduleFits(minutes, steps, lag.minutes).length === 0,
  );
  const analysis = resolvedAnalysis(given, { metricLagMinutes: lag.minutes, maxExtraMinutes: extra.minutes });
  const forecast = forecastRollout(steps, prior, analysis);
  const planned =
    (steps.length === 0
      ? 'AllAtOnce: no canary steps'
      : steps.length === 1 && steps[0]?.weight === 100
        ? 'AllAtOnce, watched by its alarms and health checks before promotion'
        : `${steps.length} step(s) planned`) +
    (lag.reason ? `; ${lag.reason}` : '') +
    (extra.reason ? `; ${extra.reason}` : '');
  const state: RolloutState = {
    target,
    strategy,
    steps,
    analysis,
    ...(given.insufficientData.maxExtraMinutes === undefined ? { extraHoldFromHistory: true as const } : {}),
    ...(given.metricLagMinutes === undefined ? { metricLagFromPlan: true as const } : {}),
    hooks,
    gates,
    metrics: counts,
    latency,
    ...(prior ? { prior } : {}),
    forecast,
    traffic,
    progress: { stepIndex: 0, checks: 0, consecutiveErrors: 0 },
    next: { action: steps.length > 0 ? 'advance' : 'promote', reason: `${planned}; ${forecast.reason}` },
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
  await deps.events.publish('Canary Started', {
    ...eventDetail(state),
    steps: state.steps,
    forecast: state.forecast,
  });
  return state;
}

/** The longest operators can hold a rollout: every gate waiting until its timeout, and one pause. */
function operatorHoldSeconds(steps: readonly Step[], gates: GatesConfig): number {
  const count = steps.filter((_, i) => gateAfter(steps, i, gates) !== undefined).length;
  return (count * gates.approvalTimeoutMinutes + gates.maxPauseMinutes) * 60;
}

function gateProblems(steps: readonly Step[], gates: GatesConfig): string[] {
  if (steps.length > 0 || !gates.beforePromotion) return [];
  return [
    'gates.beforePromotion: AllAtOnce moves all traffic in one write, so there is no moment to approve; ' +
      'use a canary step with approve, e.g. {"steps":[{"weight":10,"bakeMinutes":5,"approve":true}]}',
  ];
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

/**
 * AllAtOnce with alarms or health checks moves all traffic, then watches them for allAtOnceBakeMinutes
 * before promotion, as CodeDeploy watches a deployment's alarms; any of them firing rolls back. Without
 * gates there is nothing to watch, and AllAtOnce promotes at once.
 */
function withSwitchBake(steps: Step[], analysis: AnalysisInput): Step[] {
  const gated = analysis.alarms.length > 0 || analysis.healthChecks.length > 0;
  if (steps.length > 0 || !gated) return steps;
  return [{ weight: 100, bakeSeconds: Math.round(analysis.allAtOnceBakeMinutes * 60) }];
}

/** How far back Plan looks at the stable version: the hour before the newest complete minute. */
export const HISTORY_MINUTES = 60;

/**
 * The stable side's last hour: its per-minute requests and errors (traffic, error rate, dispersion) and,
 * with latency analysis, each percentile over the hour, which fixes the thresholds slow requests are
 * counted against. Read before anything is locked or written.
 */
async function readLastHour(
  target: Target,
  analysis: AnalysisInput,
  metricLagMinutes: number,
  deps: Pick<Deps, 'metrics'>,
  now: Date,
): Promise<{ prior: Prior | undefined; thresholds: Record<string, { canary: number; baseline: number }> }> {
  const end = new Date(floorToMinute(now).getTime() - metricLagMinutes * MINUTE_MS);
  const window = { start: new Date(end.getTime() - HISTORY_MINUTES * MINUTE_MS), end };
  const stable = stableSide(target, analysis);
  const thresholds: Record<string, { canary: number; baseline: number }> = {};
  const latency = analysis.latency;
  if (latency && stable.latency) {
    const metric = stable.latency;
    const values = await Promise.all(
      latency.statistics.map((statistic) => deps.metrics.statistic(metric, statistic, window)),
    );
    const absent = latency.statistics.filter((_, i) => !(typeof values[i] === 'number' && values[i] > 0));
    if (absent.length > 0) {
      throw new InvalidInputError(
        `analysis.latency: the stable side has no ${metric.namespace} ${metric.metricName} ${absent.join(', ')} ` +
          `in the last hour (${window.start.toISOString()} to ${window.end.toISOString()}), so no threshold can be fixed ` +
          'for its slow requests. Release when it has served traffic, or remove analysis.latency',
      );
    }
    latency.statistics.forEach((statistic, i) => {
      thresholds[statistic] = latencyThresholds(values[i] ?? 0, latency.tolerance, latency.minIncrease);
    });
  }
  const query: SideQuery = {
    requests: stable.requests,
    errors: stable.errors,
    ...(stable.latency && Object.keys(thresholds).length > 0
      ? {
          latency: Object.entries(thresholds).map(([statistic, t]) => ({
            statistic,
            metric: stable.latency as MetricRef,
            threshold: t.baseline,
          })),
        }
      : {}),
  };
  const minutes = await deps.metrics.sideMinutes(query, window);
  return { prior: minutes.length > 0 ? summarizeHistory(minutes, window) : undefined, thresholds };
}

/**
 * The stable side's metrics before any traffic moves: for a Lambda alias, the alias's own (every request
 * through it reaches the stable version); for weighted records, the stable side's.
 */
function stableSide(
  target: Target,
  analysis: AnalysisInput,
): { requests: MetricRef; errors: MetricRef; latency?: MetricRef } {
  const { requests, errors, latency } = analysis;
  const side = (p: { namespace: string; metricName: string; stable: Record<string, string> }) => ({
    namespace: p.namespace,
    metricName: p.metricName,
    dimensions: p.stable,
  });
  const ownLatency =
    latency?.namespace && latency.metricName && latency.stable
      ? side({ namespace: latency.namespace, metricName: latency.metricName, stable: latency.stable })
      : undefined;
  if (target.type === 'lambda-alias') {
    const alias = lambdaAliasMetric(target.functionName, target.alias);
    return {
      requests: requests ? side(requests) : alias('Invocations'),
      errors: errors ? side(errors) : alias('Errors'),
      ...(latency ? { latency: ownLatency ?? alias('Duration') } : {}),
    };
  }
  if (!requests || !errors) {
    throw new InvalidInputError(
      `analysis.requests and analysis.errors are required for ${target.type} targets`,
    );
  }
  return { requests: side(requests), errors: side(errors), ...(ownLatency ? { latency: ownLatency } : {}) };
}

type Queries = { counts: CountsQuery; latency: LatencyQuery[] };
type ArmPair = { canary: MetricRef; baseline: MetricRef };

/**
 * The CloudWatch metrics each side is judged on: the user's, or AWS/Lambda's per-version metrics for
 * an alias. Validated now; the Lambda dimensions need the baseline version, known after prepare().
 */
function metricQueries(
  target: Target,
  analysis: AnalysisInput,
): (traffic: TrafficContext, thresholds: Record<string, { canary: number; baseline: number }>) => Queries {
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
  return (traffic, thresholds) => {
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
    const compared =
      latency && durations
        ? latency.statistics.flatMap((statistic) => {
            const t = thresholds[statistic];
            return t ? [{ ...durations, statistic, thresholds: t }] : [];
          })
        : [];
    return { counts, latency: compared };
  };
}

function lambdaDefaults(target: Target, traffic: TrafficContext): CountsQuery {
  if (target.type !== 'lambda-alias')
    throw new InvalidInputError(`no default metrics for ${target.type} targets`);
  return lambdaAliasCounts(target.functionName, target.alias, traffic.baseline, traffic.canary);
}

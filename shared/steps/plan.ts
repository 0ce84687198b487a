/**
 * The Plan step: recognise the trigger, validate the input against the schema and then AWS, lock the
 * target, and fix the schedule. Moves no traffic. Kept apart from the other steps so only the plan
 * function bundles the schema.
 */

import { floorToMinute, MINUTE_MS } from '../core/clock';
import { runsColdBesideWarm } from '../core/cold-start';
import { InvalidInputError, willBeRetried } from '../core/errors';
import { extraHold, forecastRollout, latencyThresholds, type Prior, summarizeHistory } from '../core/history';
import { armQueries, stableMetrics } from '../core/metric-queries';
import type { MetricRef, SideQuery, TrafficContext } from '../core/ports';
import { type RolloutRecord, recordKey, recordLabel } from '../core/record';
import { DEFAULT_METRIC_LAG_MINUTES, resolvedAnalysis, type Target } from '../core/schema';
import { isAdaptive, type Step } from '../core/strategy';
import { interpretTrigger } from '../core/triggers';
import { kindOf } from '../targets/kinds';
import { bestEffort } from './bookkeeping';
import type { Deps } from './deps';
import { isReleaseInput, planRelease } from './plan-release';
import { eventDetail, type RolloutState, recordsOf, saveRecords } from './rollout';
import { checkReferences, fitToTarget, scheduleFit, type ValidInput, validateInput } from './validate';

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

export type PlanDeps = Pick<Deps, 'clock' | 'router' | 'metrics' | 'records' | 'events' | 'tags' | 'hooks'>;

export type TriggerInfo = RolloutState['trigger'];
export type Thresholds = Record<string, { canary: number; baseline: number }>;

/**
 * Validates the input and fixes the plan. Every refusal comes before anything is written, and names the
 * field to change. Then: the event is claimed (a re-delivery of an event whose rollout was refused is
 * tried again), the target's record is taken, and the router reads the baseline; for Route 53 it writes
 * the canary record's new values at weight 0. A refusal from then on frees both.
 */
export async function plan(
  raw: unknown,
  deps: PlanDeps,
  context: PlanContext,
): Promise<RolloutState | SkippedRun> {
  const trigger = await recognise(raw, deps, context);
  if ('next' in trigger) return trigger;
  if (isReleaseInput(trigger.input)) return planRelease(trigger.input, raw, trigger.info, deps, context);
  const valid = validateInput(trigger.input, raw);
  await checkReferences(valid, deps);
  const now = deps.clock.now();
  const history = await readLastHour(valid, deps, now);
  const taken = await takeTarget(valid, trigger.info, deps, context.executionId, now);
  if ('next' in taken) return taken;
  const state = fixSchedule(valid, taken, history, trigger.info, now);
  await announce(state, deps, now);
  return state;
}

/** The trigger: a rollout's input and where it came from, or a run to skip (an event not for fledge). */
async function recognise(
  raw: unknown,
  deps: PlanDeps,
  context: PlanContext,
): Promise<{ input: unknown; info: TriggerInfo } | SkippedRun> {
  const trigger = await interpretTrigger(raw, deps.tags);
  const source = context.local && trigger.source === 'console' ? 'local' : trigger.source;
  const info = { source, ...(trigger.eventId ? { eventId: trigger.eventId } : {}) };
  if (trigger.kind === 'skip') return { next: { action: 'skip', reason: trigger.reason }, trigger: info };
  return { input: trigger.input, info };
}

/** The target as taken: its record's owner, the router's read of it, and the schedule fitted to it. */
interface Taken {
  record: RolloutRecord;
  traffic: TrafficContext;
  steps: Step[];
  lag: { minutes: number; reason?: string };
}

/**
 * Claims the event, takes the target's record, and has the router read (and, for Route 53, prepare)
 * the target, refusing what does not fit it before the router writes. A refusal frees both the record
 * and the event; a transient failure keeps them for the state machine's retry as the same owner.
 */
async function takeTarget(
  valid: ValidInput,
  trigger: TriggerInfo,
  deps: PlanDeps,
  owner: string,
  now: Date,
): Promise<Taken | SkippedRun> {
  const { target } = valid.input;
  return withClaimedEvent(trigger, deps, owner, now, async () => {
    const record = newRecord(target, owner, now);
    let fitted: Omit<Taken, 'record' | 'traffic'> | undefined;
    await deps.records.acquire(record);
    try {
      const traffic = await deps.router(target).prepare((context) => {
        fitted = fitToTarget(valid, context);
      });
      if (!fitted) throw new Error('the router read the target without checking it');
      return { record, traffic, ...fitted };
    } catch (error) {
      // A transient failure is retried by the state machine as the same owner; freeing the target now
      // could land after the retry took it again. If retries run out, recovery frees it.
      if (!willBeRetried(error)) await freeRefused(record, error, deps);
      throw error;
    }
  });
}

/**
 * Claims the trigger's event (a redelivered one is skipped), then runs `take`. A refusal forgets the event,
 * so a corrected redelivery can start; a transient failure keeps it for the state machine's retry as the
 * same owner.
 */
export async function withClaimedEvent<T>(
  trigger: TriggerInfo,
  deps: PlanDeps,
  owner: string,
  now: Date,
  take: () => Promise<T>,
): Promise<T | SkippedRun> {
  const eventId = trigger.eventId;
  if (eventId) {
    const earlier = await deps.records.claimEvent(eventId, owner, now);
    if (earlier) {
      const reason = `event ${eventId} was already delivered; it started ${earlier}`;
      return { next: { action: 'skip', reason }, trigger };
    }
  }
  try {
    return await take();
  } catch (error) {
    if (eventId && !willBeRetried(error)) {
      await bestEffort('forgetting the refused event', () => deps.records.releaseEvent(eventId, owner));
    }
    throw error;
  }
}

/** A target's record as Plan first writes it: held by this execution, planning. */
export function newRecord(target: Target, owner: string, now: Date): RolloutRecord {
  const at = now.toISOString();
  return {
    key: recordKey(target),
    owner,
    since: at,
    updatedAt: at,
    status: 'planning',
    target,
    label: recordLabel(target),
  };
}

export async function freeRefused(record: RolloutRecord, error: unknown, deps: PlanDeps): Promise<void> {
  await bestEffort('freeing the target after a refused plan', () =>
    deps.records.finish({
      ...record,
      status: 'rejected',
      updatedAt: deps.clock.now().toISOString(),
      outcome: { outcome: 'rejected', reason: (error as Error).message, at: deps.clock.now().toISOString() },
    }),
  );
}

/**
 * The rollout's state: the metrics each arm is judged on, the metric lag, how long a step may be held
 * for evidence (from the stable side's last hour), and the forecast.
 */
function fixSchedule(
  valid: ValidInput,
  taken: Taken,
  history: { prior: Prior | undefined; thresholds: Thresholds },
  trigger: TriggerInfo,
  now: Date,
): RolloutState {
  const { target, strategy, analysis: given, hooks, gates } = valid.input;
  const { record, traffic, steps, lag } = taken;
  const { prior, thresholds } = history;
  const { counts, latency } = armQueries(target, given, traffic, thresholds);
  const extra = extraHold(
    given.insufficientData.maxExtraMinutes,
    prior,
    (minutes) => scheduleFit(valid, steps, lag.minutes, minutes).length === 0,
  );
  const analysis = resolvedAnalysis(given, {
    metricLagMinutes: lag.minutes,
    maxExtraMinutes: extra.minutes,
    adaptive: isAdaptive(steps),
  });
  const forecast = forecastRollout(steps, prior, { ...analysis, shareLagSeconds: traffic.shareLagSeconds });
  const capacity = kindOf(target).canaryCapacity?.(target, steps, traffic) ?? {};
  const planned =
    (steps.length === 0
      ? 'AllAtOnce: no canary steps'
      : steps.length === 1 && steps[0]?.weight === 100
        ? 'AllAtOnce, watched by its alarms and health checks before promotion'
        : `${steps.length} step(s) planned`) +
    (traffic.note ? `; ${traffic.note}` : '') +
    (lag.reason ? `; ${lag.reason}` : '') +
    (extra.reason ? `; ${extra.reason}` : '') +
    (capacity.plan
      ? `; ${capacity.plan.count} provisioned concurrency for version ${capacity.plan.version} (${capacity.plan.basis}), READY before any traffic moves`
      : '') +
    (capacity.note ? `; ${capacity.note}` : '');
  return {
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
    ...(capacity.plan ? { provisioned: capacity.plan } : {}),
    ...(runsColdBesideWarm(traffic, capacity.plan) ? { coldCanary: { minutes: [] } } : {}),
    progress: { stepIndex: 0, checks: 0, consecutiveErrors: 0 },
    next: { action: steps.length > 0 ? 'advance' : 'promote', reason: `${planned}; ${forecast.reason}` },
    waitSeconds: 0,
    startedAt: now.toISOString(),
    executionId: record.owner,
    trigger,
    record: { key: record.key, owner: record.owner },
    label: recordLabel(target, traffic),
  };
}

/** Records the plan and publishes `Canary Started` with the steps and the forecast. */
export async function announce(state: RolloutState, deps: PlanDeps, now: Date): Promise<void> {
  await bestEffort('recording the plan', () =>
    saveRecords(deps, recordsOf(state, 'planned', now.toISOString())),
  );
  await deps.events.publish('Canary Started', {
    ...eventDetail(state),
    steps: state.steps,
    forecast: state.forecast,
  });
}

/** How far back Plan looks at the stable version: the hour before the newest complete minute. */
export const HISTORY_MINUTES = 60;

/**
 * The stable side's last hour: its per-minute requests and errors (traffic, error rate, dispersion) and,
 * with latency analysis, each percentile over the hour, which fixes the thresholds slow requests are
 * counted against. Read before anything is locked or written.
 */
export async function readLastHour(
  { input }: ValidInput,
  deps: Pick<Deps, 'metrics'>,
  now: Date,
): Promise<{ prior: Prior | undefined; thresholds: Thresholds }> {
  const { target, analysis } = input;
  // The lag as given, before the target is read: with long requests the hour's newest minutes miss some
  // of them, a small share of the hour that fixes the prior and the latency thresholds.
  const metricLagMinutes = analysis.metricLagMinutes ?? DEFAULT_METRIC_LAG_MINUTES;
  const end = new Date(floorToMinute(now).getTime() - metricLagMinutes * MINUTE_MS);
  const window = { start: new Date(end.getTime() - HISTORY_MINUTES * MINUTE_MS), end };
  const stable = stableMetrics(target, analysis);
  const thresholds: Thresholds = {};
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

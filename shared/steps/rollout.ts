/**
 * The five steps of a rollout. Each takes the rollout state, does one thing and returns the new state;
 * the order, the waits and the retries belong to statemachines/canary.asl.yml.
 */

import { assess } from '../core/assess';
import { floorToMinute, MINUTE_MS } from '../core/clock';
import type { Action, Progress } from '../core/decision';
import { causeMessage } from '../core/errors';
import type { Forecast, Prior } from '../core/history';
import type { CountsQuery, LatencyQuery, MetricRef, TrafficContext } from '../core/ports';
import type { AnalysisConfig, DeployInput, HooksConfig, Target } from '../core/schema';
import type { PairedMinute } from '../core/sequential-test';
import type { Step } from '../core/strategy';
import type { TriggerSource } from '../core/triggers';
import type { Verdict } from '../core/verdict';
import type { Deps } from './deps';

/** Everything the state machine carries between steps, under `$.rollout`. */
export interface RolloutState {
  target: Target;
  strategy: DeployInput['strategy'];
  steps: Step[];
  analysis: AnalysisConfig;
  hooks: HooksConfig;
  metrics: CountsQuery;
  /**
   * The latency statistics compared, each with the thresholds Plan fixed from the stable version's last
   * hour (none unless analysis.latency is set).
   */
  latency: LatencyQuery[];
  /** The stable version's last hour, read at Plan: traffic, error rate, and how much its counts vary. */
  prior?: Prior;
  /** How long Plan expects the rollout to take at last hour's traffic, and why. */
  forecast?: Forecast;
  traffic: TrafficContext;
  progress: Progress;
  /** What the Choice state routes on. */
  next: { action: Action; reason: string; insufficientData?: boolean };
  /** Seconds the Bake state waits. */
  waitSeconds: number;
  startedAt: string;
  executionId: string;
  trigger: { source: TriggerSource; eventId?: string };
  /** The lock this run holds on its target. */
  lock: { key: string; owner: string };
  lastVerdict?: Verdict;
  /**
   * The per-minute counts the last check saw for the first time: the execution history then holds every
   * minute of the rollout, for reports, while the state stays small. With a metric lag under two minutes
   * the newest minute may be partly reported; it comes again, complete, in the next check, so a reader
   * keeps each minute's last occurrence.
   */
  lastMinutes?: PairedMinute[];
  /** Set by a Catch in the state machine when a step failed. */
  error?: { Error: string; Cause: string };
}

export interface Outcome {
  outcome: 'promoted' | 'rolled-back';
  reason: string;
  target: Target;
  baseline: string;
  canary: string;
  /** Canary percent live at the end (100 promoted, 0 rolled back). */
  weight: number;
  startedAt: string;
  finishedAt: string;
  checks: number;
  insufficientData?: boolean;
  verdict?: Verdict;
}

/** Applies the weight of the current step and schedules its first check. */
export type SetWeightDeps = Pick<Deps, 'clock' | 'router' | 'events'>;

export async function setWeight(state: RolloutState, deps: SetWeightDeps): Promise<RolloutState> {
  const step = state.steps[state.progress.stepIndex];
  if (!step)
    throw new RangeError(`no step ${state.progress.stepIndex} in a ${state.steps.length}-step schedule`);
  const applied = await deps.router(state.target).setWeight(step.weight, state.traffic);
  const now = deps.clock.now().toISOString();
  const interval = state.analysis.checkIntervalMinutes;
  await deps.events.publish('Canary Weight Changed', {
    ...eventDetail(state),
    step: state.progress.stepIndex + 1,
    steps: state.steps.length,
    weight: applied.weight,
    previousWeight: state.traffic.weight,
  });
  return {
    ...state,
    traffic: { ...state.traffic, weight: applied.weight, revision: applied.revision },
    progress: {
      ...state.progress,
      stepStartedAt: now,
      trafficStartedAt: state.progress.trafficStartedAt ?? now,
    },
    waitSeconds:
      interval === undefined ? step.bakeSeconds : Math.min(step.bakeSeconds, Math.round(interval * 60)),
    next: { action: 'hold', reason: applied.detail },
  };
}

/** Reads CloudWatch since the canary first got traffic, judges it, and decides what comes next. */
export type EvaluateDeps = Pick<Deps, 'clock' | 'metrics'>;

export async function evaluate(state: RolloutState, deps: EvaluateDeps): Promise<RolloutState> {
  const now = deps.clock.now();
  const window = analysisWindow(state, now);
  const readCounts = window.end.getTime() > window.start.getTime();
  // Alarms and health checks are read at every check, also before the first complete minute.
  const [gates, counts] = await Promise.allSettled([
    Promise.all([
      deps.metrics.alarmsInAlarm(state.analysis.alarms),
      deps.metrics.unhealthyChecks(state.analysis.healthChecks),
    ]),
    readCounts
      ? deps.metrics.pairedMinutes(state.metrics, window, state.latency)
      : Promise.resolve(undefined),
  ]);
  const failures = [gates, counts].flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  // Transient failures go back to the state machine's Retry; anything else is an analysis error.
  const transient = failures.find((e) => e.name === 'TransientAwsError');
  if (transient) throw transient;
  const readError = failures[0] ? `${failures[0].name}: ${failures[0].message}` : undefined;
  const [alarmsInAlarm, unhealthyChecks] = gates.status === 'fulfilled' ? gates.value : [[], []];
  const minutes = counts.status === 'fulfilled' ? counts.value : undefined;
  const { verdict, decision } = assess({
    steps: state.steps,
    progress: state.progress,
    config: state.analysis,
    now,
    window,
    minutes,
    alarmsInAlarm,
    unhealthyChecks,
    latency: state.latency.map((l) => ({ statistic: l.statistic, ...l.thresholds })),
    prior: state.prior,
    names: {
      requests: metricName(state.metrics.canary.requests),
      errors: metricName(state.metrics.canary.errors),
      ...(state.latency[0] ? { latency: metricName(state.latency[0].canary) } : {}),
    },
    readError,
  });
  // A minute younger than two minutes may still be partly reported: it comes again, complete, in the next
  // check's lastMinutes, so a reader keeps each minute's last occurrence.
  const seen = state.lastVerdict?.evidence?.window.end;
  const recheck = Math.max(0, 2 - state.analysis.metricLagMinutes) * MINUTE_MS;
  const seenUntil = seen ? new Date(Date.parse(seen) - recheck).toISOString() : '';
  return {
    ...state,
    lastVerdict: verdict,
    lastMinutes: (minutes ?? []).filter((m) => m.at >= seenUntil),
    progress: decision.progress,
    waitSeconds: decision.waitSeconds,
    next: {
      action: decision.action,
      reason: decision.reason,
      ...((decision.insufficientData ?? state.next.insufficientData) ? { insufficientData: true } : {}),
    },
  };
}

function metricName(ref: MetricRef): string {
  return `${ref.namespace} ${ref.metricName}`;
}

/** Sends all traffic to the new version. */
export type EndDeps = Pick<Deps, 'clock' | 'router' | 'events' | 'lock'>;

export async function promote(state: RolloutState, deps: EndDeps): Promise<Outcome> {
  const applied = await deps.router(state.target).promote(state.traffic);
  const result = outcome(state, deps, 'promoted', state.next.reason, applied.weight);
  await deps.events.publish('Canary Promoted', {
    ...eventDetail(state),
    reason: result.reason,
    verdict: state.lastVerdict,
  });
  // With an afterAllowTraffic hook the run is not over: keep the target until it ends.
  if (!state.hooks.afterAllowTraffic) await deps.lock.release(state.lock.key, state.lock.owner);
  return result;
}

/** Returns all traffic to the baseline, with the reason: a failed check, or a step that errored. */
export async function rollback(state: RolloutState, deps: EndDeps): Promise<Outcome> {
  const applied = await deps.router(state.target).rollback(state.traffic);
  const reason = state.error
    ? `${state.error.Error} during the rollout: ${causeMessage(state.error.Cause)}`
    : state.next.reason;
  const result = outcome(state, deps, 'rolled-back', reason, applied.weight);
  await deps.events.publish('Canary Rolled Back', {
    ...eventDetail(state),
    reason,
    weightBefore: state.traffic.weight,
    evidence: state.lastVerdict?.evidence,
  });
  await deps.lock.release(state.lock.key, state.lock.owner);
  return result;
}

/** The fields every lifecycle event carries. */
export function eventDetail(state: RolloutState): Record<string, unknown> {
  return {
    executionId: state.executionId,
    target: state.target,
    baseline: state.traffic.baseline,
    canary: state.traffic.canary,
    strategy: state.strategy,
    trigger: state.trigger,
  };
}

/** [start, end): from the minute the canary first got traffic to the newest complete minute. */
export function analysisWindow(state: RolloutState, now: Date): { start: Date; end: Date } {
  const first = state.progress.trafficStartedAt ?? now.toISOString();
  const start = floorToMinute(new Date(first));
  const end = new Date(floorToMinute(now).getTime() - state.analysis.metricLagMinutes * MINUTE_MS);
  return { start, end };
}

function outcome(
  state: RolloutState,
  deps: Pick<Deps, 'clock'>,
  kind: Outcome['outcome'],
  reason: string,
  weight: number,
): Outcome {
  return {
    outcome: kind,
    reason,
    target: state.target,
    baseline: state.traffic.baseline,
    canary: state.traffic.canary,
    weight,
    startedAt: state.startedAt,
    finishedAt: deps.clock.now().toISOString(),
    checks: state.progress.checks,
    ...(state.next.insufficientData ? { insufficientData: true } : {}),
    ...(state.lastVerdict ? { verdict: state.lastVerdict } : {}),
  };
}

/** Input of every task after Plan. */
export interface RolloutEvent {
  rollout: RolloutState;
  executionId?: string;
}

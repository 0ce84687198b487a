/**
 * The five steps of a rollout. Each takes the rollout state, does one thing and returns the new state;
 * the order, the waits and the retries belong to statemachines/canary.asl.yml.
 */

import { assess } from '../core/assess';
import { checkWindow, firstCheckSeconds } from '../core/cadence';
import { MINUTE_MS } from '../core/clock';
import { coldMinuteOf, withoutColdLatency } from '../core/cold-start';
import { type Action, isGated, type Progress } from '../core/decision';
import { causeMessage } from '../core/errors';
import type { Forecast, Prior } from '../core/history';
import {
  applyOperator,
  type Forced,
  NO_OPERATOR,
  type OperatorCommand,
  type OperatorProgress,
  type Pause,
  pausedMinutes,
} from '../core/operator';
import type { CountsQuery, LatencyQuery, MetricRef, TrafficContext } from '../core/ports';
import type { Provisioned } from '../core/provisioned';
import type { Intent, RecordStatus, RolloutRecord } from '../core/record';
import type { AnalysisConfig, DeployInput, GatesConfig, HooksConfig, Target } from '../core/schema';
import type { PairedMinute } from '../core/sequential-test';
import type { Step } from '../core/strategy';
import type { TriggerSource } from '../core/triggers';
import type { Verdict } from '../core/verdict';
import { kindOf } from '../targets/kinds';
import { bestEffort } from './bookkeeping';
import { provisionedSummary, releaseAtEnd } from './capacity';
import type { Deps } from './deps';
import { judgeRelease, type ReleaseState, releaseRecords, routerOf } from './release';

/** Everything the state machine carries between steps, under `$.rollout`. */
export interface RolloutState {
  target: Target;
  strategy: DeployInput['strategy'];
  steps: Step[];
  analysis: AnalysisConfig;
  /**
   * Plan fixed analysis.insufficientData.maxExtraMinutes from the last hour, the input having left it
   * out: the record's input leaves it out too, so `fledge retry` fixes it again from its own last hour.
   */
  extraHoldFromHistory?: true;
  /**
   * Plan fixed analysis.metricLagMinutes, the input having left it out (the default, or lengthened for
   * the target's longest request): the record's input leaves it out too, so a retry fixes it again.
   */
  metricLagFromPlan?: true;
  hooks: HooksConfig;
  gates: GatesConfig;
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
  /**
   * The capacity the canary version gets before it takes traffic (Lambda: provisioned concurrency), as
   * Plan sized it and ProvisionCanary found it; the state machine waits on its status.
   */
  provisioned?: Provisioned;
  /**
   * Set when the canary runs on demand beside a stable side with provisioned concurrency: the minutes in
   * which its weight rose, whose latency is left out of the comparison (shared/core/cold-start.ts).
   */
  coldCanary?: { minutes: string[] };
  progress: Progress;
  /** What the Choice state routes on. */
  next: { action: Action; reason: string; insufficientData?: boolean };
  /** Seconds the Bake state waits. */
  waitSeconds: number;
  startedAt: string;
  executionId: string;
  trigger: { source: TriggerSource; eventId?: string };
  /** The target's rollout record that this run holds (shared/core/record.ts). */
  record: { key: string; owner: string };
  /** How a person names the target and its two sides (used in messages and the Fail causes). */
  label: string;
  lastVerdict?: Verdict;
  /** When the last check ran (its verdict's metrics window ends earlier, by the metric lag). */
  checkedAt?: string;
  /**
   * The per-minute counts the last check saw for the first time: the execution history then holds every
   * minute of the rollout, for reports, while the state stays small. With a metric lag under two minutes
   * the newest minute may be partly reported; it comes again, complete, in the next check, so a reader
   * keeps each minute's last occurrence.
   */
  lastMinutes?: PairedMinute[];
  /** What operators asked that checks applied: commands handled, the gate waited at, gates passed. */
  operator?: OperatorProgress;
  /**
   * What operators asked that the last check saw: the command it applied and the pause in force. The
   * execution history then says who did what, at which check, for reports (shared/report/timeline.ts).
   */
  lastOperator?: { applied?: OperatorCommand; pause?: Pause };
  /** A promotion or rollback a person forced (fledge promote/abort/reject, a pause or gate timeout). */
  forced?: Forced;
  /**
   * Set for a release (several targets as one): every target, its record, metrics and last check. The
   * fields above that name one target (target, metrics, latency, prior, record) are then its first's,
   * and `traffic` is the release's (shared/targets/release-router.ts).
   */
  release?: ReleaseState;
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
  /** Set when a person forced this end (who, why, and whether the analysis was skipped). */
  forced?: Forced;
  /** The provisioned concurrency fledge gave the canary, where it ended, and its concurrency-hours. */
  provisioned?: Provisioned & { hours: number };
  /** A release's name and every target with its change, all ended the same way (`target` is its first). */
  release?: {
    name?: string;
    targets: string[];
    /** The provisioned concurrency each target's canary got (by the target's name), and its cost. */
    provisioned?: Array<{ target: string } & Provisioned & { hours: number }>;
  };
}

/** Applies the weight of the current step and schedules its first check. */
export type SetWeightDeps = Pick<Deps, 'clock' | 'router' | 'events' | 'records'>;

/**
 * Applies the weight of the current step and schedules its first check. The intended weight is written
 * to the rollout record first, so whoever finds the pieces after a crash knows what may have landed.
 */
export async function setWeight(state: RolloutState, deps: SetWeightDeps): Promise<RolloutState> {
  const step = state.steps[state.progress.stepIndex];
  if (!step)
    throw new RangeError(`no step ${state.progress.stepIndex} in a ${state.steps.length}-step schedule`);
  const now = deps.clock.now().toISOString();
  const abort = await pendingAbort(state, deps);
  if (abort) {
    // Moving no traffic, this returns to Bake for a moment, and the check that follows applies the
    // abort: the rollout rolls back, with the operator's reason, before the canary got this weight.
    return {
      ...state,
      waitSeconds: 1,
      next: {
        action: 'hold',
        reason: `abort requested by ${abort.by} (${abort.reason}): step ${state.progress.stepIndex + 1}'s ${step.weight}% was not applied; the next check rolls back`,
      },
    };
  }
  await saveRecords(
    deps,
    recordsOf(state, 'shifting', now, { intent: { action: 'set-weight', weight: step.weight, at: now } }),
  );
  const applied = await routerOf(state, deps).setWeight(step.weight, state.traffic);
  const next: RolloutState = {
    ...state,
    ...coldAfter(state, applied.weight, deps.clock.now()),
    ...(state.release
      ? { release: coldMembersAfter(state, state.release, applied.weight, deps.clock.now()) }
      : {}),
    traffic: { ...state.traffic, weight: applied.weight, revision: applied.revision },
    progress: {
      ...state.progress,
      stepStartedAt: now,
      trafficStartedAt: state.progress.trafficStartedAt ?? now,
    },
    waitSeconds: firstCheckSeconds({
      now: new Date(now),
      trafficStartedAt: new Date(state.progress.trafficStartedAt ?? now),
      lagMinutes: state.analysis.metricLagMinutes,
      bakeSeconds: step.bakeSeconds,
      checkIntervalMinutes: state.analysis.checkIntervalMinutes,
      gated: isGated(state.analysis),
    }),
    next: { action: 'hold', reason: applied.detail },
  };
  await saveAfterWrite('recording the applied weight', recordsOf(next, 'baking', now), state, deps, {
    weight: applied.weight,
    left: `${applied.weight}% on the canary, ${100 - applied.weight}% on the baseline`,
  });
  await deps.events.publish('Canary Weight Changed', {
    ...eventDetail(state),
    step: state.progress.stepIndex + 1,
    steps: state.steps.length,
    weight: applied.weight,
    previousWeight: state.traffic.weight,
  });
  return next;
}

/** The cold canary's minutes with this step's, when its weight rose (a retried step adds it once). */
function coldAfter(
  state: Pick<RolloutState, 'coldCanary' | 'traffic'>,
  weight: number,
  now: Date,
): Pick<RolloutState, 'coldCanary'> {
  const cold = state.coldCanary;
  if (!cold || weight <= state.traffic.weight) return cold ? { coldCanary: cold } : {};
  const minute = coldMinuteOf(now);
  return {
    coldCanary: { minutes: cold.minutes.includes(minute) ? cold.minutes : [...cold.minutes, minute] },
  };
}

/** Each target of a release whose canary runs cold, with this step's minute (all move to one weight). */
function coldMembersAfter(
  state: RolloutState,
  release: ReleaseState,
  weight: number,
  now: Date,
): ReleaseState {
  const members = release.members.map((m) =>
    m.coldCanary
      ? { ...m, ...coldAfter({ coldCanary: m.coldCanary, traffic: state.traffic }, weight, now) }
      : m,
  );
  return { ...release, members };
}

/**
 * An abort an operator left that no check has applied yet: the first step's weight is set before any
 * check runs (after a beforeAllowTraffic hook, say), so SetWeight looks first. A transient failure to
 * read goes back to the Retry; any other leaves the abort to the next check, as before traffic moved.
 */
export async function pendingAbort(
  state: RolloutState,
  deps: Pick<SetWeightDeps, 'records'>,
): Promise<OperatorCommand | undefined> {
  let command: OperatorCommand | undefined;
  try {
    command = (await deps.records.requests(state.record.key)).command;
  } catch (error) {
    if ((error as Error).name === 'TransientAwsError') throw error;
    return undefined;
  }
  const handled = state.operator?.handled ?? [];
  return command?.action === 'abort' && !handled.includes(command.id) ? command : undefined;
}

/** Reads CloudWatch since the canary first got traffic, judges it, and decides what comes next. */
export type EvaluateDeps = Pick<Deps, 'clock' | 'metrics' | 'records'>;

export async function evaluate(state: RolloutState, deps: EvaluateDeps): Promise<RolloutState> {
  const now = deps.clock.now();
  const window = analysisWindow(state, now);
  const readCounts = window.end.getTime() > window.start.getTime();
  // Alarms and health checks are read at every check, also before the first complete minute; so are
  // the operators' requests beside the record.
  const [gates, counts, asked] = await Promise.allSettled([
    Promise.all([
      deps.metrics.alarmsInAlarm(state.analysis.alarms),
      deps.metrics.unhealthyChecks(state.analysis.healthChecks),
    ]),
    readCounts ? readMinutes(state, deps, window) : Promise.resolve(undefined),
    deps.records.requests(state.record.key),
  ]);
  const requests = asked.status === 'fulfilled' ? asked.value : {};
  const failures = [gates, counts, asked].flatMap((r) =>
    r.status === 'rejected' ? [r.reason as Error] : [],
  );
  // Transient failures go back to the state machine's Retry, the requests' among them: a check that
  // cannot see a pause or an abort must not move the rollout. Any other failure is an analysis error,
  // the requests' too: the check holds, and MAX_ANALYSIS_ERRORS in a row roll back, as for metrics
  // that cannot be read (a requests read denied for good must not hold the rollout for hours).
  const transient = failures.find((e) => e.name === 'TransientAwsError');
  if (transient) throw transient;
  const readError = failures[0] ? `${failures[0].name}: ${failures[0].message}` : undefined;
  const [alarmsInAlarm, unhealthyChecks] = gates.status === 'fulfilled' ? gates.value : [[], []];
  const perTarget = counts.status === 'fulfilled' ? counts.value : undefined;
  const minutes = perTarget?.[0];
  const shared = { steps: state.steps, progress: state.progress, now, window };
  const gated = { alarmsInAlarm, unhealthyChecks, readError };
  const released =
    state.release &&
    judgeRelease(
      state.release,
      { ...shared, ...gated, analysis: state.analysis },
      state.release.members.map((m, i) => {
        const seen = perTarget?.[i];
        return seen && withoutColdLatency(seen, m.coldCanary?.minutes);
      }),
      (member, seen) => newMinutes(seen, member.lastVerdict, state.analysis.metricLagMinutes),
    );
  const { verdict, decision: analysed } =
    released ??
    assess({
      ...shared,
      ...gated,
      config: judgeConfig(state),
      minutes: minutes && withoutColdLatency(minutes, state.coldCanary?.minutes),
      latency: state.latency.map((l) => ({ statistic: l.statistic, ...l.thresholds })),
      prior: state.prior,
      names: {
        requests: metricName(state.metrics.canary.requests),
        errors: metricName(state.metrics.canary.errors),
        ...(state.latency[0] ? { latency: metricName(state.latency[0].canary) } : {}),
      },
    });
  const operated = applyOperator({
    decision: analysed,
    verdict,
    steps: state.steps,
    gates: state.gates,
    requests,
    progress: state.operator ?? NO_OPERATOR,
    now,
    recheckSeconds: Math.round(state.analysis.checkIntervalMinutes * 60),
  });
  const decision = operated.decision;
  // Requests that could not be read leave the pause as last seen: a report must not show a resume.
  const pause = asked.status === 'fulfilled' ? requests.pause : state.lastOperator?.pause;
  const { lastOperator: _previous, ...carried } = state;
  const next: RolloutState = {
    ...carried,
    ...(operated.applied || pause
      ? {
          lastOperator: {
            ...(operated.applied ? { applied: operated.applied } : {}),
            ...(pause ? { pause } : {}),
          },
        }
      : {}),
    lastVerdict: verdict,
    checkedAt: now.toISOString(),
    lastMinutes: released ? [] : newMinutes(minutes, state.lastVerdict, state.analysis.metricLagMinutes),
    ...(released ? { release: { ...state.release, members: released.members } } : {}),
    progress: decision.progress,
    operator: operated.progress,
    ...(operated.forced ? { forced: operated.forced } : {}),
    waitSeconds: decision.waitSeconds,
    next: {
      action: decision.action,
      reason: decision.reason,
      ...((decision.insufficientData ?? state.next.insufficientData) ? { insufficientData: true } : {}),
    },
  };
  // Bookkeeping, except when the record is no longer this execution's (closed by `fledge recover --force`,
  // say): the rollout must stop there, writing no traffic (the state machine's TrafficConflict path),
  // instead of baking on unaware and moving traffic it no longer holds.
  let lost: Error | undefined;
  await bestEffort('recording the check', async () => {
    try {
      await saveRecords(deps, recordsOf(next, 'baking', now.toISOString()));
    } catch (error) {
      if ((error as Error).name !== 'TrafficConflictError') throw error;
      lost = error as Error;
    }
  });
  if (lost) throw lost;
  const applied = operated.applied;
  if (applied) {
    await bestEffort('clearing the applied request', () =>
      deps.records.clearCommand(state.record.key, applied.id),
    );
  }
  return next;
}

/** Each target's minutes since the canary first got traffic: one list, or one per target of a release. */
async function readMinutes(
  state: RolloutState,
  deps: Pick<EvaluateDeps, 'metrics'>,
  window: { start: Date; end: Date },
): Promise<PairedMinute[][]> {
  const targets = state.release?.members ?? [state];
  return Promise.all(targets.map((t) => deps.metrics.pairedMinutes(t.metrics, window, t.latency)));
}

/**
 * The minutes a check saw for the first time. A minute younger than two minutes may still be partly
 * reported: it comes again, complete, in the next check's, so a reader keeps each minute's last occurrence.
 */
function newMinutes(
  minutes: readonly PairedMinute[] | undefined,
  lastVerdict: Verdict | undefined,
  metricLagMinutes: number,
): PairedMinute[] {
  const seen = lastVerdict?.evidence?.window.end;
  const recheck = Math.max(0, 2 - metricLagMinutes) * MINUTE_MS;
  const seenUntil = seen ? new Date(Date.parse(seen) - recheck).toISOString() : '';
  return (minutes ?? []).filter((m) => m.at >= seenUntil);
}

function metricName(ref: MetricRef): string {
  return `${ref.namespace} ${ref.metricName}`;
}

export type EndDeps = Pick<Deps, 'clock' | 'router' | 'events' | 'records'>;

/** Sends all traffic to the new version, writing the intent to the record first. */
export async function promote(state: RolloutState, deps: EndDeps): Promise<Outcome> {
  const at = deps.clock.now().toISOString();
  try {
    await saveRecords(
      deps,
      recordsOf(state, 'promoting', at, { intent: { action: 'promote', weight: 100, at } }),
    );
  } catch (error) {
    // An earlier attempt of this very step may have promoted and closed the record (its last request
    // landed after it timed out): that promotion is this one's, not someone else's.
    const held = await deps.records.get(state.record.key);
    if (held?.owner !== state.record.owner || held.status !== 'promoted') throw error;
  }
  const applied = await routerOf(state, deps).promote(state.traffic);
  const capacity = await capacityAtEnd(state, deps);
  const promoted: RolloutState = {
    ...state,
    traffic: { ...state.traffic, weight: applied.weight, revision: applied.revision },
    ...capacity,
  };
  const result = outcome(promoted, deps, 'promoted', state.next.reason, applied.weight);
  // With an afterAllowTraffic hook the run is not over: keep the target until the hook has passed.
  if (state.hooks.afterAllowTraffic) {
    await saveAfterWrite(
      'recording the promotion',
      recordsOf(promoted, 'verifying', result.finishedAt),
      state,
      deps,
      {
        weight: applied.weight,
        left: `all traffic on the new version ${state.traffic.canary}`,
      },
    );
  } else {
    await bestEffort('recording the promotion', () =>
      finishRecords(deps, recordsOf(promoted, 'promoted', result.finishedAt, { outcome: summary(result) })),
    );
  }
  await deps.events.publish('Canary Promoted', {
    ...eventDetail(state),
    reason: result.reason,
    verdict: state.lastVerdict,
    ...(state.forced ? { forced: state.forced } : {}),
    ...(result.provisioned ? { provisioned: result.provisioned } : {}),
    ...releaseProvisionedDetail(state, result),
  });
  return result;
}

/** What Rollback hands the state machine: the outcome, and the same as text for the Fail state's cause. */
export interface RolledBack {
  outcome: Outcome;
  cause: string;
}

/**
 * Returns all traffic to the baseline, with the reason: a failed check, or a step that errored. Its record
 * writes are bookkeeping: the traffic write goes ahead whatever happens to them.
 */
export async function rollback(state: RolloutState, deps: EndDeps): Promise<RolledBack> {
  const at = deps.clock.now().toISOString();
  await bestEffort('recording the rollback intent', () =>
    saveRecords(
      deps,
      recordsOf(state, 'rolling-back', at, { intent: { action: 'rollback', weight: 0, at } }),
    ),
  );
  const applied = await routerOf(state, deps).rollback(state.traffic);
  const capacity = await capacityAtEnd(state, deps);
  const reason = state.error
    ? `${state.error.Error} during the rollout: ${causeMessage(state.error.Cause)}`
    : state.next.reason;
  const back: RolloutState = {
    ...state,
    traffic: { ...state.traffic, weight: applied.weight, revision: applied.revision },
    ...capacity,
  };
  const result = outcome(back, deps, 'rolled-back', reason, applied.weight);
  await bestEffort('recording the rollback', () =>
    finishRecords(deps, recordsOf(back, 'rolled-back', result.finishedAt, { outcome: summary(result) })),
  );
  await deps.events.publish('Canary Rolled Back', {
    ...eventDetail(state),
    reason,
    weightBefore: state.traffic.weight,
    evidence: state.lastVerdict?.evidence,
    ...(state.forced ? { forced: state.forced } : {}),
    ...(result.provisioned ? { provisioned: result.provisioned } : {}),
    ...releaseProvisionedDetail(state, result),
  });
  // The Fail state's cause is this JSON: built here, because Step Functions' intrinsic is not available
  // everywhere the ASL runs with correct escaping.
  return { outcome: result, cause: JSON.stringify(result) };
}

/**
 * The record save after a traffic write, as bookkeeping, except that a save refused because this execution
 * no longer holds an active record is never silent: the write landed after the rollout was closed (by a
 * recovery that acted while this step still ran, or a takeover), so nothing else will look at this target
 * again. It says so with `Canary Recovery Failed`, which is alarmed, naming what the write left.
 */
async function saveAfterWrite(
  what: string,
  records: readonly RolloutRecord[],
  state: RolloutState,
  deps: Pick<Deps, 'records' | 'events'>,
  landed: { weight: number; left: string },
): Promise<void> {
  let lost: Error | undefined;
  await bestEffort(what, async () => {
    try {
      await saveRecords(deps, records);
    } catch (error) {
      // A save throws TrafficConflictError only when the record is no longer this execution's, or ended.
      if ((error as Error).name !== 'TrafficConflictError') throw error;
      lost = error as Error;
    }
  });
  if (!lost) return;
  await deps.events.publish('Canary Recovery Failed', {
    ...eventDetail(state),
    reason:
      `${state.label}: this execution's write landed after its rollout record was closed or taken over ` +
      `(${lost.message}), so neither the record nor fledge's recovery accounts for it: the target has ` +
      `${landed.left}. Check the target and restore it (\`fledge recover\`, or by hand)`,
    weight: landed.weight,
  });
}

/** The rollout record as this state describes it. */
export function recordOf(
  state: RolloutState,
  status: RecordStatus,
  at: string,
  extra: { intent?: Intent; outcome?: RolloutRecord['outcome'] } = {},
): RolloutRecord {
  const verdict = state.lastVerdict;
  return {
    key: state.record.key,
    owner: state.record.owner,
    since: state.startedAt,
    updatedAt: at,
    status,
    target: state.target,
    label: state.label,
    traffic: state.traffic,
    step: { index: state.progress.stepIndex, of: state.steps.length },
    ...(verdict
      ? {
          lastCheck: {
            at: state.checkedAt ?? at,
            verdict: verdict.verdict,
            reason: state.next.reason,
            action: state.next.action,
          },
        }
      : {}),
    ...(state.operator?.gate ? { gate: state.operator.gate } : {}),
    ...(state.operator?.handled.length ? { handled: state.operator.handled.slice(-5) } : {}),
    ...(state.provisioned ? { provisioned: state.provisioned } : {}),
    ...pauseUsed(state.operator, at),
    ...extra,
    input: {
      target: state.target,
      strategy: state.strategy,
      analysis: analysisAsGiven(state),
      hooks: state.hooks,
      gates: state.gates,
    },
    trigger: state.trigger,
  };
}

/** The records the state describes: the target's, or one per target of a release. */
export function recordsOf(
  state: RolloutState,
  status: RecordStatus,
  at: string,
  extra: { intent?: Intent; outcome?: RolloutRecord['outcome'] } = {},
): RolloutRecord[] {
  const record = recordOf(state, status, at, extra);
  return state.release ? releaseRecords(state.release, record) : [record];
}

/** Saves each record in turn (a release's in its order); the first refusal stops the rest. */
export async function saveRecords(
  deps: Pick<Deps, 'records'>,
  records: readonly RolloutRecord[],
): Promise<void> {
  for (const record of records) await deps.records.save(record);
}

/** Ends every record, each tried even when another fails; throws the first failure after. */
export async function finishRecords(
  deps: Pick<Deps, 'records'>,
  records: readonly RolloutRecord[],
): Promise<void> {
  const results = await Promise.allSettled(records.map((r) => deps.records.finish(r)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** The pause time a rollout has used as of `at`, when it has paused at all. */
function pauseUsed(operator: OperatorProgress | undefined, at: string): { pausedMinutes?: number } {
  if (!operator?.pause && !operator?.pausedSeconds) return {};
  return { pausedMinutes: Math.round(pausedMinutes(operator, new Date(at)) * 10) / 10 };
}

/** The analysis as the input gave it, before Plan fixed the extra hold and the metric lag. */
function analysisAsGiven(state: RolloutState): AnalysisConfig | Record<string, unknown> {
  const { metricLagMinutes: lag, insufficientData: hold, ...rest } = state.analysis;
  const { maxExtraMinutes: _fixed, ...insufficientData } = hold;
  return {
    ...rest,
    ...(state.metricLagFromPlan ? {} : { metricLagMinutes: lag }),
    insufficientData: state.extraHoldFromHistory ? insufficientData : hold,
  };
}

function summary(result: Outcome): RolloutRecord['outcome'] {
  return { outcome: result.outcome, reason: result.reason, at: result.finishedAt, weight: result.weight };
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
    ...(state.release ? { release: releaseDetail(state.release) } : {}),
  };
}

/** A release's end event with each target's provisioned concurrency, where it ended, and its cost. */
function releaseProvisionedDetail(state: RolloutState, result: Outcome): Record<string, unknown> {
  const provisioned = result.release?.provisioned;
  if (!state.release || !provisioned) return {};
  return { release: { ...releaseDetail(state.release), provisioned } };
}

/** A release in its events: its name and every target, each with its own change. */
function releaseDetail(release: ReleaseState): Record<string, unknown> {
  return {
    ...(release.name ? { name: release.name } : {}),
    targets: release.members.map((m) => ({ target: m.target, label: m.label })),
  };
}

/** [start, end): from the minute the canary first got traffic to the newest complete minute. */
export function analysisWindow(state: RolloutState, now: Date): { start: Date; end: Date } {
  const first = state.progress.trafficStartedAt ?? now.toISOString();
  return checkWindow(new Date(first), now, state.analysis.metricLagMinutes);
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
    ...(state.forced ? { forced: state.forced } : {}),
    ...provisionedOutcome(state, deps.clock.now()),
    ...(state.release
      ? {
          release: {
            ...(state.release.name ? { name: state.release.name } : {}),
            targets: state.release.members.map((m) => m.label),
            ...releaseProvisionedOutcome(state.release, deps.clock.now()),
          },
        }
      : {}),
  };
}

/** Each target's provisioned concurrency, where it ended and its concurrency-hours, by the target's name. */
function releaseProvisionedOutcome(
  release: ReleaseState,
  now: Date,
): Pick<NonNullable<Outcome['release']>, 'provisioned'> {
  const rows = release.members.flatMap((m) => {
    const summary = provisionedSummary(m.provisioned, now);
    return summary ? [{ target: m.name, ...summary }] : [];
  });
  return rows.length > 0 ? { provisioned: rows } : {};
}

/**
 * The canary's capacity removed once the traffic is where it ends: the rollout's, or each target's of a
 * release, each tried whatever happens to another's (releaseAtEnd never throws).
 */
async function capacityAtEnd(
  state: RolloutState,
  deps: EndDeps,
): Promise<Partial<Pick<RolloutState, 'provisioned' | 'release'>>> {
  const detail = eventDetail(state);
  if (!state.release) {
    const provisioned = await releaseAtEnd(state, deps, detail);
    return provisioned ? { provisioned } : {};
  }
  const members = await Promise.all(
    state.release.members.map(async (m) => {
      const provisioned = await releaseAtEnd(m, deps, detail);
      return provisioned ? { ...m, provisioned } : m;
    }),
  );
  return { release: { ...state.release, members } };
}

function provisionedOutcome(state: RolloutState, now: Date): Pick<Outcome, 'provisioned'> {
  const summary = provisionedSummary(state.provisioned, now);
  return summary ? { provisioned: summary } : {};
}

/** Input of every task after Plan. */
export interface RolloutEvent {
  rollout: RolloutState;
  executionId?: string;
}

/**
 * The analysis as the verdict reads it: with the kind's default metrics, whether their error series is
 * published only in minutes with errors comes from the kind (the input says so for metrics it names).
 */
function judgeConfig(state: RolloutState) {
  const { analysis } = state;
  if (analysis.errors) return analysis;
  const sparse = kindOf(state.target).defaultMetrics?.errorsPublishedOnlyWhenNonZero ?? false;
  return sparse ? { ...analysis, errors: { publishedOnlyWhenNonZero: true } } : analysis;
}

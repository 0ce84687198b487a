/**
 * One rollout as a timeline: the weight step by step, every minute's counts, every check with its
 * verdict and evidence, hooks and other events, and the outcome. Pure: it reads a list of history
 * entries, which come from a local run's event log or from Step Functions' execution history
 * (shared/report/history.ts turns either into entries), and never calls AWS or reads the clock.
 */
import { causeMessage } from '../core/errors';
import type { Target } from '../core/schema';
import type { PairedMinute } from '../core/sequential-test';
import type { Step } from '../core/strategy';
import { targetLabel } from '../core/target-label';
import type { Evidence, VerdictKind } from '../core/verdict';
import type { Outcome, RolloutState } from '../steps/rollout';

/** One thing that happened in an execution, the same whichever runner ran it. */
export type HistoryEntry =
  | { type: 'ExecutionStarted'; at: string; input?: unknown }
  | { type: 'StateEntered'; at: string; state: string; input?: unknown }
  | { type: 'StateExited'; at: string; state: string; output?: unknown }
  | { type: 'StateFailed'; at: string; state: string; error: string; cause: string }
  | { type: 'ExecutionSucceeded'; at: string; output?: unknown }
  | { type: 'ExecutionFailed'; at: string; error: string; cause: string }
  | { type: 'ExecutionAborted' | 'ExecutionTimedOut'; at: string; error?: string; cause?: string };

export type RunStatus =
  | 'running'
  | 'promoted'
  | 'rolled-back'
  | 'skipped'
  | 'rejected'
  | 'stopped'
  | 'rollback-failed'
  | 'failed'
  | 'aborted'
  | 'timed-out';

export interface WeightPoint {
  at: string;
  /** Canary percent from this moment on. */
  weight: number;
  /** "start", "step 2/5", "promoted", "rolled back". */
  label: string;
}

/** A check as the report shows it. Evidence keeps any field the analysis adds (latency, promotion, …). */
export interface CheckPoint {
  at: string;
  /** 1-based number of the check in the run. */
  n: number;
  /** Canary percent while the check ran. */
  weight: number;
  verdict: VerdictKind;
  reason: string;
  /** What the state machine did next: advance, hold, promote or roll back. */
  action: string;
  actionReason: string;
  evidence?: Evidence & Record<string, unknown>;
}

export type TimelineEventKind = 'hook' | 'gate' | 'operator' | 'error' | 'capacity';

/** Anything else worth a mark on the time axis. Other sources (operator actions) add their own. */
export interface TimelineEvent {
  at: string;
  kind: TimelineEventKind;
  title: string;
  detail?: string;
  /** false for a failure. */
  ok?: boolean;
}

export interface Timeline {
  executionId: string;
  target?: Target;
  /** `checkout:live`, or the execution id when the target is unknown (an input refused in Plan). */
  title: string;
  baseline?: string;
  canary?: string;
  strategy?: unknown;
  steps: Step[];
  analysis?: { alpha?: number; tolerance?: number; metricLagMinutes?: number };
  startedAt: string;
  /** Undefined while the execution runs. */
  endedAt?: string;
  status: RunStatus;
  reason?: string;
  weights: WeightPoint[];
  /** Every minute of counts, once, in time order. */
  minutes: PairedMinute[];
  checks: CheckPoint[];
  events: TimelineEvent[];
  /**
   * A release's targets, in its order, each with its own minutes (the report draws a row of panels per
   * target). `minutes` above is then the first target's.
   */
  targets?: ReleaseTimeline[];
}

/** One target of a release in the report: its name and change, and its minutes of counts. */
export interface ReleaseTimeline {
  title: string;
  minutes: PairedMinute[];
}

type Draft = Omit<Timeline, 'minutes' | 'targets'> & {
  minutes: Map<string, PairedMinute>;
  targets?: Array<{ title: string; minutes: Map<string, PairedMinute> }>;
  /** The rollout as the previous check left it: what operators did shows as what changed since. */
  previous?: RolloutState;
};
type StateHandler = (draft: Draft, entry: Extract<HistoryEntry, { type: 'StateExited' }>) => void;

/**
 * What each state's output adds. A state not listed adds nothing; a new step (an approval gate, an
 * operator action applied by the state machine) adds one line here.
 */
const ON_EXIT: Record<string, StateHandler> = {
  Plan: (draft, entry) => {
    const rollout = rolloutOf(entry.output);
    if (!rollout?.steps) return; // a skipped trigger: Plan returned no plan
    describeRollout(draft, rollout);
    draft.startedAt = rollout.startedAt ?? draft.startedAt;
    draft.weights.push({ at: draft.startedAt, weight: rollout.traffic.weight, label: 'start' });
  },
  SetWeight: (draft, entry) => {
    const rollout = rolloutOf(entry.output);
    if (!rollout) return;
    draft.weights.push({
      at: rollout.progress.stepStartedAt ?? entry.at,
      weight: rollout.traffic.weight,
      label: `step ${rollout.progress.stepIndex + 1}/${rollout.steps.length}`,
    });
  },
  Evaluate: (draft, entry) => {
    const rollout = rolloutOf(entry.output);
    const verdict = rollout?.lastVerdict;
    if (!rollout || !verdict) return;
    for (const minute of rollout.lastMinutes ?? []) draft.minutes.set(minute.at, minute);
    rollout.release?.members.forEach((member, i) => {
      const seen = draft.targets?.[i]?.minutes;
      for (const minute of member.lastMinutes ?? []) seen?.set(minute.at, minute);
      if (i === 0) for (const minute of member.lastMinutes ?? []) draft.minutes.set(minute.at, minute);
    });
    draft.checks.push({
      at: entry.at,
      n: rollout.progress.checks,
      weight: rollout.traffic.weight,
      verdict: verdict.verdict,
      reason: verdict.reason,
      action: rollout.next.action,
      actionReason: rollout.next.reason,
      ...(verdict.evidence ? { evidence: verdict.evidence as CheckPoint['evidence'] } : {}),
    });
    draft.events.push(...operatorEvents(draft.previous, rollout, entry.at));
    draft.previous = rollout;
  },
  ProvisionCanary: (draft, entry) => {
    const rollout = rolloutOf(entry.output);
    const release = rollout?.release;
    // A release's loop ends READY or FAILED as a whole: its last pass says where each target's got to.
    if (release && release.capacity !== 'READY' && release.capacity !== 'FAILED') return;
    const plans = release
      ? release.members.flatMap((m) => (m.provisioned ? [{ who: `${m.name}: `, plan: m.provisioned }] : []))
      : rollout?.provisioned
        ? [{ who: '', plan: rollout.provisioned }]
        : [];
    for (const { who, plan } of plans) {
      if (plan.status !== 'READY' && plan.status !== 'FAILED') continue;
      draft.events.push({
        at: entry.at,
        kind: 'capacity',
        title: `${who}${plan.count} provisioned concurrency on version ${plan.version}: ${plan.status}`,
        detail: plan.status === 'FAILED' ? plan.reason : `${plan.basis}; requested at ${plan.requestedAt}`,
        ok: plan.status === 'READY',
      });
    }
  },
  Promote: (draft, entry) => {
    endWeight(draft, entry, 'promoted');
    capacityEnded(draft, entry);
  },
  Rollback: (draft, entry) => {
    endWeight(draft, entry, 'rolled back');
    capacityEnded(draft, entry);
  },
  BeforeAllowTraffic: (draft, entry) => hook(draft, entry, 'beforeAllowTraffic'),
  AfterAllowTraffic: (draft, entry) => hook(draft, entry, 'afterAllowTraffic'),
};

/** Builds the timeline of one execution from its entries, in the order they happened. */
export function buildTimeline(
  executionId: string,
  entries: readonly HistoryEntry[],
  extraEvents: readonly TimelineEvent[] = [],
): Timeline {
  const first = entries[0]?.at ?? new Date(0).toISOString();
  const draft: Draft = {
    executionId,
    title: executionId.split(':').at(-1) ?? executionId,
    steps: [],
    startedAt: first,
    status: 'running',
    weights: [],
    minutes: new Map(),
    checks: [],
    events: [],
  };
  for (const entry of entries) {
    switch (entry.type) {
      case 'ExecutionStarted':
        draft.startedAt = entry.at;
        describeInput(draft, entry.input);
        break;
      case 'StateExited':
        ON_EXIT[entry.state]?.(draft, entry);
        break;
      case 'StateFailed':
        // Retried or caught: what follows in the timeline (a retry's success, a rollback) tells which.
        draft.events.push({
          at: entry.at,
          kind: HOOK_STATES[entry.state] ? 'hook' : 'error',
          title: `${entry.state} attempt failed: ${entry.error}`,
          detail: causeMessage(entry.cause),
          ok: false,
        });
        break;
      default:
        if (entry.type !== 'StateEntered') finish(draft, entry);
    }
  }
  const minutes = [...draft.minutes.values()].sort((a, b) => a.at.localeCompare(b.at));
  const events = [...draft.events, ...extraEvents].sort((a, b) => a.at.localeCompare(b.at));
  const { previous: _previous, targets: drafted, ...timeline } = draft;
  const inOrder = (seen: Map<string, PairedMinute>) =>
    [...seen.values()].sort((a, b) => a.at.localeCompare(b.at));
  const targets = drafted?.map((t) => ({ title: t.title, minutes: inOrder(t.minutes) }));
  return { ...timeline, minutes, events, ...(targets ? { targets } : {}) };
}

/**
 * What gates and operators did at one check, from what changed since the previous one: a gate opened or
 * passed, a command applied (who, why, and what the check made of it), a pause seen or lifted, and an
 * end a limit forced (a pause or a gate past its time).
 */
function operatorEvents(before: RolloutState | undefined, after: RolloutState, at: string): TimelineEvent[] {
  const events: TimelineEvent[] = [];
  const gate = after.operator?.gate;
  if (gate && gate.id !== before?.operator?.gate?.id) {
    events.push({ at, kind: 'gate', title: `${gate.id} gate opened: waiting for approval` });
  }
  const { applied, pause } = after.lastOperator ?? {};
  const passed = (after.operator?.approved ?? []).filter((id) => !before?.operator?.approved.includes(id));
  if (applied) {
    const gated = applied.action === 'approve' || applied.action === 'reject';
    events.push({
      at,
      kind: gated ? 'gate' : 'operator',
      title: `fledge ${applied.action} by ${applied.by}: ${applied.reason}${applied.skipAnalysis ? ' (--skip-analysis)' : ''}`,
      detail: after.next.reason,
      ...(applied.action === 'abort' || applied.action === 'reject' ? { ok: false } : {}),
    });
  } else {
    // A gate passed with nobody's approval: its timeout, with gates.onApprovalTimeout "continue".
    for (const id of passed)
      events.push({ at, kind: 'gate', title: `${id} gate passed`, detail: after.next.reason });
  }
  const was = before?.lastOperator?.pause;
  if (pause && (pause.by !== was?.by || pause.since !== was?.since)) {
    events.push({
      at,
      kind: 'operator',
      title: `paused by ${pause.by}: ${pause.reason}`,
      detail: `since ${pause.since}`,
    });
  } else if (was && !pause) {
    events.push({ at, kind: 'operator', title: 'resumed' });
  }
  const forced = after.forced;
  if (forced && !before?.forced && (forced.command === 'pause' || forced.command === 'gate-timeout')) {
    events.push({
      at,
      kind: forced.command === 'pause' ? 'operator' : 'gate',
      title: forced.reason,
      ok: false,
    });
  }
  return events;
}

const HOOK_STATES: Record<string, string> = {
  BeforeAllowTraffic: 'beforeAllowTraffic',
  AfterAllowTraffic: 'afterAllowTraffic',
};

/** How an execution ended, named as `fledge run` names it. */
function finish(draft: Draft, entry: Exclude<HistoryEntry, { type: 'StateEntered' | 'StateExited' }>): void {
  draft.endedAt = entry.at;
  switch (entry.type) {
    case 'ExecutionSucceeded': {
      const output = (entry.output ?? {}) as { outcome?: string; reason?: string };
      draft.status = output.outcome === 'skipped' ? 'skipped' : 'promoted';
      draft.reason = output.reason;
      return;
    }
    case 'ExecutionFailed': {
      if (entry.error === 'fledge.RolledBack') {
        const outcome = parse(entry.cause) as Partial<Outcome> | undefined;
        draft.status = 'rolled-back';
        draft.reason = outcome?.reason ?? causeMessage(entry.cause);
        return;
      }
      draft.status = FAILURES[entry.error] ?? 'failed';
      draft.reason = `${entry.error}: ${causeMessage(entry.cause)}`;
      return;
    }
    case 'ExecutionAborted':
      draft.status = 'aborted';
      draft.reason = 'the execution was stopped; traffic stays as last set until recovered';
      return;
    case 'ExecutionTimedOut':
      draft.status = 'timed-out';
      draft.reason = 'the execution timed out; traffic stays as last set until recovered';
      return;
  }
}

const FAILURES: Record<string, RunStatus> = {
  InvalidInputError: 'rejected',
  RolloutInProgressError: 'rejected',
  'fledge.TrafficConflict': 'stopped',
  'fledge.RollbackFailed': 'rollback-failed',
};

function describeInput(draft: Draft, input: unknown): void {
  const target = (input as { target?: Target } | undefined)?.target;
  if (target && typeof target === 'object' && typeof target.type === 'string') {
    draft.target = target;
    draft.title = safeLabel(target) ?? draft.title;
  }
}

function describeRollout(draft: Draft, rollout: RolloutState): void {
  draft.target = rollout.target;
  draft.title = (rollout.release ? rollout.label : safeLabel(rollout.target)) ?? draft.title;
  if (rollout.release) {
    draft.targets = rollout.release.members.map((m) => ({ title: m.label, minutes: new Map() }));
  }
  draft.baseline = rollout.traffic.baseline;
  draft.canary = rollout.traffic.canary;
  draft.strategy = rollout.strategy;
  draft.steps = rollout.steps;
  draft.analysis = {
    alpha: rollout.analysis.alpha,
    tolerance: rollout.analysis.tolerance,
    metricLagMinutes: rollout.analysis.metricLagMinutes,
  };
}

function endWeight(draft: Draft, entry: Extract<HistoryEntry, { type: 'StateExited' }>, label: string): void {
  // Promote puts its outcome at $.outcome; Rollback at $.rolledBack.outcome, beside the Fail cause.
  const output = entry.output as { outcome?: Outcome; rolledBack?: { outcome?: Outcome } } | undefined;
  const outcome = output?.rolledBack?.outcome ?? output?.outcome;
  if (!outcome) return;
  draft.weights.push({ at: outcome.finishedAt ?? entry.at, weight: outcome.weight, label });
}

/** Where the canary's provisioned concurrency ended, and its concurrency-hours, from the outcome. */
function capacityEnded(draft: Draft, entry: Extract<HistoryEntry, { type: 'StateExited' }>): void {
  const output = entry.output as { outcome?: Outcome; rolledBack?: { outcome?: Outcome } } | undefined;
  const outcome = output?.rolledBack?.outcome ?? output?.outcome;
  const plans = [
    ...(outcome?.provisioned ? [{ who: '', plan: outcome.provisioned }] : []),
    ...(outcome?.release?.provisioned ?? []).map((plan) => ({ who: `${plan.target}: `, plan })),
  ];
  for (const { who, plan } of plans) {
    draft.events.push({
      at: plan.endedAt ?? entry.at,
      kind: 'capacity',
      title: `${who}${plan.count} provisioned concurrency on version ${plan.version}: ${plan.status === 'removed' ? 'removed' : plan.status === 'left' ? 'left in place' : 'not removed'}, ${plan.hours} concurrency-hours`,
      ...(plan.reason ? { detail: plan.reason } : {}),
      ok: plan.status === 'removed' || plan.status === 'left',
    });
  }
}

function hook(draft: Draft, entry: Extract<HistoryEntry, { type: 'StateExited' }>, name: string): void {
  const output = entry.output as { hook?: { payload?: { status?: string } }; rollout?: RolloutState };
  const status = output?.hook?.payload?.status ?? 'no status';
  const fn = (output?.rollout?.hooks as Record<string, string> | undefined)?.[name];
  draft.events.push({
    at: entry.at,
    kind: 'hook',
    title: `${name} hook${fn ? ` ${fn}` : ''}: ${status}`,
    ok: status !== 'Failed',
  });
}

function rolloutOf(output: unknown): RolloutState | undefined {
  const rollout = (output as { rollout?: RolloutState } | undefined)?.rollout;
  return rollout && typeof rollout === 'object' && rollout.traffic ? rollout : undefined;
}

function safeLabel(target: Target): string | undefined {
  try {
    return targetLabel(target);
  } catch {
    return undefined;
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

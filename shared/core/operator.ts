/**
 * What people ask of a running rollout, and what the next check does about it. Operators do not race
 * the state machine: `fledge abort`, `promote`, `approve`, `reject` and `pause` write a request beside
 * the rollout record, and the next check (within one check interval) applies it here, so the execution
 * history and the outcome say who did what and why. Pure: applied after the analysis decided.
 *
 * - abort: roll back now.
 * - promote: promote now, skipping the remaining steps, unless the check fails, its analysis errored or
 *   it rolls back for any other reason; with skipAnalysis, promote whatever the check says (the
 *   emergency path).
 * - approve / reject: answer the open gate the rollout waits at (a step with `approve: true`, or
 *   `gates.beforePromotion`): go on, or roll back. An open gate holds the rollout, checks continuing, until approved,
 *   rejected, or its timeout.
 * - pause: hold at the current weight; checks continue and a failing check still rolls back; once the
 *   rollout's pauses add up to `gates.maxPauseMinutes` the rollout rolls back. It is one budget for the
 *   whole rollout, not for each pause: Plan fits the execution's time limit with that much pausing and
 *   no more, so pause after pause must not outlast it (the time limit would end the execution
 *   uncatchably, and recovery roll it back).
 */
import type { Decision } from './decision';
import type { Step } from './strategy';
import type { Verdict } from './verdict';

export type CommandAction = 'abort' | 'promote' | 'approve' | 'reject';

/** A one-shot request, kept beside the record until a check applies it. */
export interface OperatorCommand {
  id: string;
  action: CommandAction;
  reason: string;
  /** Who asked: the caller's IAM ARN, or a local user name. */
  by: string;
  at: string;
  /** promote only: promote even if the check fails. */
  skipAnalysis?: boolean;
}

export interface Pause {
  since: string;
  by: string;
  reason: string;
}

/** The requests beside a record, as the check reads them. */
export interface OperatorRequests {
  command?: OperatorCommand | undefined;
  pause?: Pause | undefined;
}

export interface GateConfig {
  beforePromotion: boolean;
  approvalTimeoutMinutes: number;
  onApprovalTimeout: 'rollback' | 'continue';
  maxPauseMinutes: number;
}

/** What the rollout remembers between checks about operators (in its state). */
export interface OperatorProgress {
  /** Commands already applied, so a command is applied once. */
  handled: string[];
  /**
   * The gate the rollout waits at, and since when; a pause stops its clock: openedAt moves on by the time
   * paused, counted from pausedAt (the last check that saw the pause).
   */
  gate?: { id: string; openedAt: string; pausedAt?: string | undefined } | undefined;
  /** Gates passed. */
  approved: string[];
  /**
   * The pause in force and when a check first saw it, on the rollout's clock: gates.maxPauseMinutes is
   * measured from then, not from the operator's clock (`since`).
   */
  pause?: { by: string; since: string; seenAt: string } | undefined;
  /**
   * Seconds the rollout spent in pauses already lifted, on its clock (each from the first check that saw
   * it to the first that saw it lifted): gates.maxPauseMinutes bounds them and the pause in force together.
   */
  pausedSeconds?: number | undefined;
}

/** An action a person forced, for the outcome and the events. */
export interface Forced {
  action: 'promote' | 'rollback';
  by: string;
  reason: string;
  command: CommandAction | 'pause' | 'gate-timeout';
  skipAnalysis?: boolean;
}

export interface OperatorInput {
  decision: Decision;
  verdict: Verdict;
  steps: readonly Step[];
  gates: GateConfig;
  requests: OperatorRequests;
  progress: OperatorProgress;
  now: Date;
  recheckSeconds: number;
}

export interface OperatorResult {
  decision: Decision;
  progress: OperatorProgress;
  forced?: Forced;
  /** The command this check applied, to clear from beside the record. */
  applied?: OperatorCommand;
}

export const NO_OPERATOR: OperatorProgress = { handled: [], approved: [] };

/**
 * Why a command was not left beside the record: one is pending there already. A pending command is never
 * replaced silently (the first one would leave no trace); only an abort may take the place of a pending
 * command that is not an abort, because stopping is always safe.
 */
export function pendingCommandRefusal(action: CommandAction, pending: OperatorCommand | undefined): string {
  if (!pending) {
    return 'another operator request changed the rollout meanwhile; look again with `fledge status`. Nothing was changed';
  }
  const then = pending.action === 'abort' ? '' : '; `fledge abort` may still replace it';
  return (
    `\`fledge ${pending.action}\` requested by ${pending.by} at ${pending.at} (${pending.reason}) is still pending, and ` +
    `the next check (within one check interval) applies it; this ${action} was not recorded${then}. Nothing was changed`
  );
}

/** Whether `action` may take the place of the pending command (see pendingCommandRefusal). */
export function mayReplace(action: CommandAction, pending: OperatorCommand): boolean {
  return action === 'abort' && pending.action !== 'abort';
}

/**
 * The gate between the current step and what follows it, if any. `promoting`: what follows is the
 * promotion, as after the last step, or from any rung of an adaptive ramp once its evidence is in.
 */
export function gateAfter(
  steps: readonly Step[],
  stepIndex: number,
  gates: GateConfig,
  promoting = stepIndex === steps.length - 1,
): string | undefined {
  const step = steps[stepIndex];
  if (!step) return undefined;
  if (step.approve) return promoting ? 'promotion' : `step ${stepIndex + 1}`;
  if (promoting && gates.beforePromotion) return 'promotion';
  return undefined;
}

export function applyOperator(input: OperatorInput): OperatorResult {
  const { decision, verdict, requests, gates } = input;
  let progress = settledPause(input.progress, requests.pause, input.now);
  const command =
    requests.command && !progress.handled.includes(requests.command.id) ? requests.command : undefined;
  if (command) progress = { ...progress, handled: [...progress.handled, command.id].slice(-20) };
  const applied = command ? { applied: command } : {};
  // The step the rollout is in: an advance already counts the next one, which a hold must not.
  const current =
    decision.action === 'advance' ? decision.progress.stepIndex - 1 : decision.progress.stepIndex;
  const to = (action: 'promote' | 'rollback', reason: string) => forcedDecision(decision, action, reason);
  const failing = verdict.verdict === 'fail';

  if (command?.action === 'abort') {
    const reason = `aborted by ${command.by}: ${command.reason}`;
    return {
      decision: to('rollback', reason),
      progress,
      ...applied,
      forced: forced('rollback', command, reason),
    };
  }
  if (command?.action === 'promote') {
    if (command.skipAnalysis) {
      const reason = `promoted by ${command.by}, analysis skipped (${verdict.verdict}): ${command.reason}`;
      return {
        decision: to('promote', reason),
        progress,
        ...applied,
        forced: forced('promote', command, reason),
      };
    }
    // Only a check that neither fails nor rolls back, and whose analysis worked, is promoted early: a
    // rollback for an analysis error or for missing data stands like one for a failing canary.
    const broken = failing
      ? 'the check failed'
      : verdict.verdict === 'error'
        ? 'the analysis errored; `--skip-analysis` promotes regardless'
        : decision.action === 'rollback'
          ? 'the check rolls back; `--skip-analysis` promotes regardless'
          : undefined;
    if (!broken) {
      const reason = `promoted early by ${command.by}, the check ${verdict.verdict === 'pass' ? 'passing' : 'not failing'}: ${command.reason}`;
      return {
        decision: to('promote', reason),
        progress,
        ...applied,
        forced: forced('promote', command, reason),
      };
    }
    // The rollback (or the hold after an analysis error) stands, and says that a promotion was asked for.
    return {
      decision: {
        ...decision,
        reason: `${decision.reason} (a promotion asked by ${command.by} was not applied: ${broken})`,
      },
      progress,
      ...applied,
    };
  }
  if (failing || decision.action === 'rollback') return { decision, progress, ...applied };

  const moving = decision.action === 'advance' || decision.action === 'promote';
  const gate = moving ? gateAfter(input.steps, current, gates, decision.action === 'promote') : undefined;
  const waiting = gate && !progress.approved.includes(gate) ? gate : undefined;
  // The gate an approval or a rejection answers: the one this check stops at, or the one the rollout
  // was already waiting at when this check holds instead (its evidence dipped): an answer is never lost.
  const answered =
    waiting ??
    (progress.gate && !progress.approved.includes(progress.gate.id) ? progress.gate.id : undefined);
  if (answered && command?.action === 'approve') {
    // The approval is recorded either way; a pause still holds the rollout until it is lifted.
    const approved = { ...progress, approved: [...progress.approved, answered], gate: undefined };
    const result = pausedOrWaiting(input, decision, approved, undefined, current);
    return {
      ...result,
      decision: {
        ...result.decision,
        reason: `${answered} approved by ${command.by}: ${command.reason}; ${result.decision.reason}`,
      },
      ...applied,
    };
  }
  if (answered && command?.action === 'reject') {
    const reason = `${answered} rejected by ${command.by}: ${command.reason}`;
    return {
      decision: to('rollback', reason),
      progress: { ...progress, gate: undefined },
      ...applied,
      forced: forced('rollback', command, reason),
    };
  }
  // `fledge approve` refuses when no gate is open; one that got through (the gate closed in between)
  // is said, not dropped.
  if (command?.action === 'approve' || command?.action === 'reject') {
    const result = pausedOrWaiting(input, decision, progress, waiting, current);
    const note = ` (\`fledge ${command.action}\` by ${command.by} was not applied: no approval gate was open)`;
    return {
      ...result,
      decision: { ...result.decision, reason: `${result.decision.reason}${note}` },
      ...applied,
    };
  }
  return { ...pausedOrWaiting(input, decision, progress, waiting, current), ...applied };
}

/** What a check that moves does with a pause, or at a gate not yet answered. */
function pausedOrWaiting(
  input: OperatorInput,
  decision: Decision,
  held: OperatorProgress,
  waiting: string | undefined,
  current: number,
): OperatorResult {
  const { requests, now, gates } = input;
  const moving = decision.action === 'advance' || decision.action === 'promote';
  const to = (action: 'promote' | 'rollback', reason: string) => forcedDecision(decision, action, reason);
  const hold = (reason: string) => heldDecision(decision, reason, input.recheckSeconds, current);
  let progress = held;

  if (requests.pause && moving) {
    const { by, since } = requests.pause;
    const seen =
      progress.pause?.by === by && progress.pause.since === since ? progress.pause.seenAt : undefined;
    progress = { ...progress, pause: { by, since, seenAt: seen ?? now.toISOString() } };
    const earlier = (progress.pausedSeconds ?? 0) / 60;
    const used = pausedMinutes(progress, now);
    if (used >= gates.maxPauseMinutes) {
      const inAll = earlier > 0 ? ` in all (${Math.round(earlier)} minute(s) of it in earlier pauses)` : '';
      const reason = `paused by ${requests.pause.by} for more than gates.maxPauseMinutes (${gates.maxPauseMinutes})${inAll}; rolled back`;
      return {
        decision: to('rollback', reason),
        progress,
        forced: { action: 'rollback', by: requests.pause.by, reason, command: 'pause' },
      };
    }
    // An open gate's clock stops while paused: the time paused is nobody's chance to approve.
    const gate = progress.gate && {
      ...progress.gate,
      ...unpaused(progress.gate, now),
      pausedAt: now.toISOString(),
    };
    return {
      decision: hold(
        `paused by ${requests.pause.by} since ${requests.pause.since} (${requests.pause.reason}); checks continue and a ` +
          `failing one still rolls back; \`fledge resume\` goes on (${decision.action} when resumed); ` +
          `${pauseLeft(gates.maxPauseMinutes, used)} minute(s) of pause left (gates.maxPauseMinutes, for the whole rollout), then it rolls back`,
      ),
      progress: gate ? { ...progress, gate } : progress,
    };
  }

  if (waiting) {
    const opened = progress.gate?.id === waiting ? unpaused(progress.gate, now).openedAt : now.toISOString();
    const open = { ...progress, gate: { id: waiting, openedAt: opened } };
    const waited = (now.getTime() - Date.parse(opened)) / 60_000;
    if (waited >= gates.approvalTimeoutMinutes) {
      if (gates.onApprovalTimeout === 'continue') {
        return {
          decision: {
            ...decision,
            reason: `${waiting} not approved within ${gates.approvalTimeoutMinutes} minutes; going on as configured (gates.onApprovalTimeout: continue); ${decision.reason}`,
          },
          progress: { ...progress, approved: [...progress.approved, waiting], gate: undefined },
        };
      }
      const reason = `${waiting} not approved within gates.approvalTimeoutMinutes (${gates.approvalTimeoutMinutes}); rolled back`;
      return {
        decision: to('rollback', reason),
        progress: { ...progress, gate: undefined },
        forced: { action: 'rollback', by: 'fledge', reason, command: 'gate-timeout' },
      };
    }
    const left = Math.max(0, Math.ceil(gates.approvalTimeoutMinutes - waited));
    return {
      decision: hold(
        `waiting at the ${waiting} gate since ${opened}: \`fledge approve\` goes on (${decision.action}), \`fledge reject\` rolls back; ` +
          `${left} minute(s) left, then ${gates.onApprovalTimeout === 'rollback' ? 'rollback' : 'it goes on'}; checks continue`,
      ),
      progress: open,
    };
  }
  return { decision, progress };
}

/**
 * The progress with a pause that is no longer in force (lifted, or replaced by another) settled: its time,
 * up to this check, is added to the rollout's paused total. Up to this check, not to the resume: the
 * rollout could not move on before this check, so that is the time the pause cost its schedule.
 */
function settledPause(progress: OperatorProgress, pause: Pause | undefined, now: Date): OperatorProgress {
  const seen = progress.pause;
  if (!seen || (pause?.by === seen.by && pause.since === seen.since)) return progress;
  const { pause: _lifted, ...rest } = progress;
  const seconds = Math.max(0, (now.getTime() - Date.parse(seen.seenAt)) / 1000);
  return { ...rest, pausedSeconds: (progress.pausedSeconds ?? 0) + seconds };
}

/**
 * Minutes of pause the rollout has used by `now`: the pauses already lifted and the one in force, from the
 * first check that saw it. What gates.maxPauseMinutes bounds, and what the record shows.
 */
export function pausedMinutes(progress: OperatorProgress, now: Date): number {
  const current = progress.pause ? Math.max(0, now.getTime() - Date.parse(progress.pause.seenAt)) : 0;
  return ((progress.pausedSeconds ?? 0) * 1000 + current) / 60_000;
}

/** Whole minutes of pause a rollout has left, never negative. */
export function pauseLeft(maxPauseMinutes: number, pausedMinutes: number): number {
  return Math.max(0, Math.floor(maxPauseMinutes - pausedMinutes));
}

/** The gate with its clock moved on by the time paused since `pausedAt`, and no longer paused. */
function unpaused(gate: NonNullable<OperatorProgress['gate']>, now: Date): { id: string; openedAt: string } {
  const paused = gate.pausedAt ? Math.max(0, now.getTime() - Date.parse(gate.pausedAt)) : 0;
  return { id: gate.id, openedAt: new Date(Date.parse(gate.openedAt) + paused).toISOString() };
}

/** The check's decision, replaced by an operator's (or a limit's) promote or rollback, at once. */
function forcedDecision(decision: Decision, action: 'promote' | 'rollback', reason: string): Decision {
  return { ...decision, action, reason, waitSeconds: 0 };
}

/** The check's decision held in the current step, to be checked again. */
function heldDecision(decision: Decision, reason: string, recheckSeconds: number, current: number): Decision {
  return {
    ...decision,
    action: 'hold',
    reason,
    waitSeconds: Math.max(1, recheckSeconds),
    progress: { ...decision.progress, stepIndex: current },
  };
}

function forced(action: 'promote' | 'rollback', command: OperatorCommand, reason: string): Forced {
  return {
    action,
    by: command.by,
    reason,
    command: command.action,
    ...(command.skipAnalysis ? { skipAnalysis: true } : {}),
  };
}

/** Human-readable progress and the final result of a local run. */
import { causeMessage } from '../shared/core/errors';
import type { Verdict } from '../shared/core/verdict';
import type { Outcome, RolloutState } from '../shared/steps/rollout';
import type { EventLog, LocalRunResult } from './local-runner';

export type RunReport = Partial<Omit<Outcome, 'outcome'>> & {
  outcome: Outcome['outcome'] | 'skipped' | 'rejected' | 'stopped' | 'rollback-failed' | 'failed';
  reason: string;
  error?: string;
  executionArn: string;
};

/** Prints each event's progress line as it happens (nothing when the output is JSON). */
export function printProgress(quiet = false): (event: EventLog) => void {
  return (event) => {
    const line = quiet ? undefined : describeEvent(event);
    if (line) console.log(line);
  };
}

/** Turns the interpreter's events into one line per thing a person cares about, or nothing. */
export function describeEvent(event: EventLog): string | undefined {
  if (event.type === 'StateFailed' || event.type === 'StateRetried') {
    return `  ! ${event.state.name}: ${event.type === 'StateRetried' ? 'retrying after ' : ''}${'Error' in event ? event.Error : 'error'}`;
  }
  if (event.type !== 'StateExited') return undefined;
  const output = event.state.output as { rollout?: RolloutState } | undefined;
  const rollout = output?.rollout;
  switch (event.state.name) {
    case 'Plan': {
      if (!rollout?.steps) return undefined; // nothing planned: a refused or skipped run
      const steps =
        rollout.steps.map((s) => `${s.weight}%/${s.bakeSeconds / 60}m`).join(' → ') || 'all at once';
      return `plan: ${side(rollout, 'baseline')} → ${side(rollout, 'canary')}, steps ${steps}`;
    }
    case 'SetWeight':
      return rollout
        ? `step ${rollout.progress.stepIndex + 1}/${rollout.steps.length}: ${rollout.traffic.weight}% to ${side(rollout, 'canary')} (${rollout.progress.stepStartedAt})`
        : undefined;
    case 'Evaluate': {
      const verdict = rollout?.lastVerdict;
      if (!rollout || !verdict) return undefined;
      return `  check ${rollout.progress.checks}: ${seen(verdict)} → ${rollout.next.action}`;
    }
    default:
      return undefined;
  }
}

/**
 * What a check saw and what it still needs, in words. A canary that has not failed is not called a pass:
 * until the evidence shows it is not maxRegression worse it is "watching", with both tallies and how much
 * more traffic promotion needs.
 */
function seen(verdict: Verdict): string {
  switch (verdict.verdict) {
    case 'pass':
      return verdict.reason;
    case 'inconclusive':
      return verdict.pending === 'evidence' ? verdict.reason : `waiting for data: ${verdict.reason}`;
    case 'fail':
      return `regression: ${verdict.reason}`;
    case 'error':
      return `analysis error: ${verdict.reason}`;
  }
}

/** How a person names one side of a target: a Lambda version, or a weighted record. */
function side(rollout: RolloutState, which: 'baseline' | 'canary'): string {
  const id = rollout.traffic[which];
  return rollout.target.type === 'lambda-alias' ? `version ${id}` : `record '${id}'`;
}

/** The run's result as one object: the Outcome for promoted and rolled-back runs, else the error. */
export function toReport(result: LocalRunResult): RunReport {
  if (result.status === 'ABORTED') {
    const recovery = result.recovery;
    const outcome: RunReport['outcome'] =
      recovery?.action === 'failed' ? 'failed' : recovery?.action === 'conflict' ? 'stopped' : 'rolled-back';
    return {
      outcome,
      reason: recovery ? `interrupted: ${recovery.reason}` : 'interrupted before any traffic moved',
      error: 'ExecutionAborted',
      executionArn: result.executionArn,
      ...(recovery?.weight !== undefined ? { weight: recovery.weight } : {}),
    };
  }
  if (result.status === 'SUCCEEDED') {
    return { ...(result.output as Outcome), executionArn: result.executionArn };
  }
  if (result.error === 'fledge.RolledBack') {
    return { ...(JSON.parse(result.cause ?? '{}') as Outcome), executionArn: result.executionArn };
  }
  const outcome: RunReport['outcome'] =
    result.error === 'InvalidInputError' || result.error === 'RolloutInProgressError'
      ? 'rejected'
      : result.error === 'fledge.TrafficConflict'
        ? 'stopped'
        : result.error === 'fledge.RollbackFailed'
          ? 'rollback-failed'
          : 'failed';
  return { outcome, reason: causeText(result.cause), error: result.error, executionArn: result.executionArn };
}

/** 0 promoted, or skipped (not a release for fledge); 2 refused input (nothing changed); 1 anything else. */
export function exitCode(report: RunReport): number {
  if (report.outcome === 'promoted' || report.outcome === 'skipped') return 0;
  if (report.outcome === 'rejected') return 2;
  return 1;
}

function causeText(cause: string | undefined): string {
  return cause ? causeMessage(cause) : 'no cause given';
}

/** Human-readable progress and the final result of a local run. */
import { causeMessage } from '../../shared/core/errors';
import { sideLabel } from '../../shared/core/target-label';
import type { Verdict } from '../../shared/core/verdict';
import type { Outcome, RolloutState } from '../../shared/steps/rollout';
import type { EventLog, LocalRunResult } from '../local/runner';
import { loadDefinition } from '../shared/definition';

export type RunReport = Partial<Omit<Outcome, 'outcome'>> & {
  outcome: Outcome['outcome'] | 'skipped' | 'rejected' | 'stopped' | 'rollback-failed' | 'failed';
  reason: string;
  error?: string;
  executionArn: string;
};

export interface ProgressOptions {
  /**
   * The run's clock, read as a check ends: the next check is due this plus the wait. Required: a run on a
   * virtual clock (`--clock virtual`, the demo) would otherwise print wall-clock times beside its own.
   */
  now: () => Date;
  /** A replay: nothing happened to traffic, so each line says what would have. */
  replay?: boolean;
}

/** Prints each event's progress line as it happens (nothing when the output is JSON). */
export function printProgress(
  quiet: boolean | undefined,
  options: ProgressOptions,
): (event: EventLog) => void {
  return (event) => {
    const line = quiet ? undefined : describeEvent(event, options);
    if (line) console.log(line);
  };
}

/**
 * Turns the interpreter's events into one line per thing a person cares about, or nothing: the plan and
 * its forecast, each weight change and when it is first checked, each check with what it saw, what
 * comes next and, when it holds, why and until when.
 */
export function describeEvent(event: EventLog, options: ProgressOptions): string | undefined {
  const would = options.replay ? 'would ' : '';
  if (event.type === 'StateFailed' || event.type === 'StateRetried') {
    // A Fail state is how a run ends (rolled back, rejected): the result line says it, not as an error.
    if (event.type === 'StateFailed' && endStates().has(event.state.name)) return undefined;
    return `  ! ${event.state.name}: ${event.type === 'StateRetried' ? 'retrying after ' : ''}${'Error' in event ? event.Error : 'error'}`;
  }
  if (event.type !== 'StateExited') return undefined;
  const output = event.state.output as
    | { rollout?: RolloutState; hook?: { payload?: { status?: unknown } | null } }
    | undefined;
  const rollout = output?.rollout;
  switch (event.state.name) {
    case 'BeforeAllowTraffic':
    case 'AfterAllowTraffic': {
      const name = event.state.name === 'BeforeAllowTraffic' ? 'beforeAllowTraffic' : 'afterAllowTraffic';
      const failed = output?.hook?.payload?.status === 'Failed';
      const hook = `hook ${name} (${rollout?.hooks[name] ?? 'hook'})`;
      if (options.replay) return `${hook}: not run in a replay (taken as passed)`;
      return `${hook}: ${failed ? 'reported Failed' : 'passed'}`;
    }
    case 'Plan': {
      if (!rollout?.steps) return undefined; // nothing planned: a refused or skipped run
      const steps =
        rollout.steps.map((s) => `${s.weight}%/${s.bakeSeconds / 60}m`).join(' → ') || 'all at once';
      const plan = `plan: ${side(rollout, 'baseline')} → ${side(rollout, 'canary')}, steps ${steps}`;
      return rollout.forecast ? `${plan}\n  forecast: ${rollout.forecast.reason}` : plan;
    }
    case 'ProvisionCanary': {
      const release = rollout?.release;
      if (release) {
        const each = release.members.flatMap((m) =>
          m.provisioned
            ? [
                `${m.name} ${m.provisioned.count} on version ${m.provisioned.version}, ${m.provisioned.status}`,
              ]
            : [],
        );
        const why = release.capacity === 'FAILED' ? ' → roll back' : '';
        return `provisioned concurrency: ${each.join('; ')}${why}`;
      }
      const plan = rollout?.provisioned;
      if (!plan) return undefined;
      const why = plan.status === 'FAILED' ? ` (${plan.reason}) → roll back` : '';
      return `provisioned concurrency: ${plan.count} on ${side(rollout, 'canary')}, ${plan.status}${why}`;
    }
    case 'SetWeight': {
      if (!rollout) return undefined;
      const at = rollout.progress.stepStartedAt;
      const first = at ? `; first check ${due(Date.parse(at), rollout.waitSeconds)}` : '';
      return `step ${rollout.progress.stepIndex + 1}/${rollout.steps.length}: ${would ? 'would send ' : ''}${rollout.traffic.weight}% to ${side(rollout, 'canary')} (${at})${first}`;
    }
    case 'Evaluate': {
      const verdict = rollout?.lastVerdict;
      if (!rollout || !verdict) return undefined;
      return `  check ${rollout.progress.checks}: ${seen(verdict)} → ${next(rollout, verdict, options)}${pausedNote(rollout)}`;
    }
    case 'Promote':
      return rollout
        ? `${would}promote: all traffic ${would ? 'to' : 'on'} ${side(rollout, 'canary')}`
        : undefined;
    case 'Rollback':
      return rollout
        ? `${would}roll back: all traffic ${would ? 'back to' : 'on'} ${side(rollout, 'baseline')}${would ? '' : ' again'}`
        : undefined;
    default:
      return undefined;
  }
}

/**
 * What the check decided. A hold says why (the bake's time left, CloudWatch not yet covering the step,
 * evidence or data still needed) in the state machine's own words, and when the next check runs.
 */
function next(rollout: RolloutState, verdict: Verdict, options: ProgressOptions): string {
  const would = options.replay ? 'would ' : '';
  switch (rollout.next.action) {
    case 'hold': {
      // The reason often ends with the verdict's own, which the line has just said.
      const why = rollout.next.reason.replace(`: ${verdict.reason}`, '');
      const now = options.now().getTime();
      return `hold: ${why}; next check ${due(now, rollout.waitSeconds)}`;
    }
    case 'advance':
      return `${would}advance to step ${rollout.progress.stepIndex + 1}/${rollout.steps.length}`;
    case 'promote':
    case 'rollback': {
      // Ended for a reason other than what the check saw (an operator's command, too little data for too
      // long): say which, or the line reads as if "waiting for data" had rolled it back.
      const why = rollout.next.reason.replace(`: ${verdict.reason}`, '');
      const because = why === verdict.reason ? '' : `: ${why}`;
      return `${would}${rollout.next.action === 'promote' ? 'promote' : 'roll back'}${because}`;
    }
  }
}

/**
 * A check of a paused rollout says so, and what the pause does (docs/OPERATIONS.md): the bake goes on,
 * and the rollout holds at its step once the bake is done. A check that would have moved on already says
 * it holds because of the pause; one that rolls back is not held by it.
 */
function pausedNote(rollout: RolloutState): string {
  const pause = rollout.lastOperator?.pause;
  if (!pause || rollout.next.action !== 'hold' || rollout.next.reason.startsWith('paused by')) return '';
  return ` (paused by ${pause.by} since ${pause.since}: ${pause.reason}; the bake goes on, and the rollout holds at this step once it is done, until \`fledge resume\`)`;
}

/** `at 10:05:00Z (in 4m)`: when a wait that starts at `from` ends. */
function due(from: number, seconds: number): string {
  const at = new Date(from + seconds * 1000).toISOString().slice(11, 19);
  return `at ${at}Z (in ${duration(seconds)})`;
}

function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m ${s % 60}s` : `${m}m`;
  return m % 60 ? `${Math.floor(m / 60)}h ${m % 60}m` : `${Math.floor(m / 60)}h`;
}

let fails: Set<string> | undefined;

/** The state machine's Fail states: the ends of a run that did not promote. */
function endStates(): Set<string> {
  fails ??= new Set(
    Object.entries(loadDefinition().definition.States)
      .filter(([, state]) => state.Type === 'Fail')
      .map(([name]) => name),
  );
  return fails;
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
  // A release's sides name each target already: `orders:live: 2, payments:live: 2`.
  if (rollout.release) return `(${rollout.traffic[which]})`;
  return sideLabel(rollout.target, rollout.traffic[which]);
}

/** What the canary's provisioned concurrency did and cost, for the result line; undefined without any. */
export function provisionedLine(report: RunReport): string | undefined {
  const plans = [
    ...(report.provisioned ? [{ who: '', plan: report.provisioned }] : []),
    ...(report.release?.provisioned ?? []).map((plan) => ({ who: `${plan.target}: `, plan })),
  ];
  if (plans.length === 0) return undefined;
  return plans
    .map(({ who, plan }) => {
      const end =
        plan.status === 'removed' ? 'removed' : plan.status === 'left' ? 'left in place' : 'NOT removed';
      return `  provisioned concurrency: ${who}${plan.count} on version ${plan.version} (${plan.basis}), ${end}; ${plan.hours} concurrency-hours${plan.reason && end !== 'removed' ? ` - ${plan.reason}` : ''}`;
    })
    .join('\n');
}

/** The run's result as one object: the Outcome for promoted and rolled-back runs, else the error. */
export function toReport(result: LocalRunResult): RunReport {
  if (result.status === 'ABORTED') {
    const recovery = result.recovery;
    if (recovery?.action === 'none') {
      // The record was no longer this run's to restore: another closed it or took the target.
      return {
        outcome: 'stopped',
        reason: `interrupted (${result.cause}); its rollout record was no longer this run's to restore (${recovery.reason}): whoever closed it set the target, and this run wrote no traffic after`,
        error: 'ExecutionAborted',
        executionArn: result.executionArn,
      };
    }
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

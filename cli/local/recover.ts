/**
 * `fledge recover`: restores the baseline of a target left half-shifted, from its rollout record, or,
 * with no record (a local run without a table that was killed), from the live split when that split
 * involves only the target's two sides.
 */
import { InvalidInputError } from '../../shared/core/errors';
import { isActive, liveLeaseReason, localRunLease, recordKey } from '../../shared/core/record';
import { DeployInputSchema, type Target } from '../../shared/core/schema';
import type { Deps } from '../../shared/steps/deps';
import { type Recovery, recoverRecord, recoveryActsFrom, tooEarlyReason } from '../../shared/steps/recover';
import { describeInputTarget } from '../shared/input';

export interface RecoverReport {
  outcome: 'rolled-back' | 'nothing-to-do' | 'closed' | 'conflict' | 'failed' | 'refused';
  reason: string;
  target?: Target;
  /** The split before recovery, as read from AWS. */
  before?: string;
}

/**
 * What recovery would do, found by reading only: either the report when there is nothing to change (or
 * nothing fledge may change), or the change it would make, to confirm before `apply`.
 */
export type RecoveryPlan =
  | { report: RecoverReport }
  | { change: string; apply: () => Promise<RecoverReport>; underLiveRun?: boolean };

export async function recoverTarget(
  input: unknown,
  deps: Deps,
  options: RecoverOptions = {},
): Promise<RecoverReport> {
  const plan = await planRecovery(input, deps, options);
  return 'report' in plan ? plan.report : plan.apply();
}

export interface RecoverOptions {
  /** Restore the baseline even under a local run whose lease is live (the run then stops at its next write). */
  force?: boolean;
}

export async function planRecovery(
  input: unknown,
  deps: Deps,
  options: RecoverOptions = {},
): Promise<RecoveryPlan> {
  const parsed = DeployInputSchema.shape.target.safeParse((input as { target?: unknown } | null)?.target);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `target.${i.path.join('.')}: ${i.message}`);
    throw new InvalidInputError(`invalid target: ${problems.join('; ')}`);
  }
  const target = parsed.data;
  const router = deps.router(target);
  const live = await router.inspect();
  const record = await deps.records.get(recordKey(target));
  if (record && isActive(record.status)) {
    const holder = await deps.executions.describe(record.owner);
    if (holder.status === 'RUNNING') {
      return {
        report: {
          outcome: 'refused',
          target,
          before: live.summary,
          reason: `${record.owner} is still running (${record.label}: ${record.status}); abort it with \`fledge abort\`, or stop the execution, and its recovery restores the baseline`,
        },
      };
    }
    // A local run cannot be asked whether it is alive: its lease says so while its heartbeat is renewed.
    const lease = holder.status === 'UNKNOWN' ? localRunLease(record, deps.clock.now()) : undefined;
    if (lease?.live && !options.force) {
      return {
        report: {
          outcome: 'refused',
          target,
          before: live.summary,
          reason: `${liveLeaseReason(record, lease)}. Nothing was changed (--force restores the baseline under the live run)`,
        },
      };
    }
    // Otherwise a person asking for recovery says it is not alive (and its Tasks ran in its own process,
    // which is gone).
    const ended =
      holder.status === 'UNKNOWN'
        ? { status: 'ABORTED' as const, cause: 'recovered by hand (fledge recover)', tasksEnded: true }
        : holder;
    // A Task of a stopped execution may still be running and write after us: say when, and change nothing.
    const from = recoveryActsFrom(ended, deps.clock.now());
    if (from) {
      return {
        report: {
          outcome: 'refused',
          target,
          before: live.summary,
          reason: `${record.label}: ${tooEarlyReason(ended, from)}. fledge's recover function acts then by itself; or run \`fledge recover\` again after that. Nothing was changed`,
        },
      };
    }
    const risk = lease?.live
      ? `, UNDER THE LOCAL RUN ${record.owner}, which is still alive (heartbeat ${lease.heartbeatAt}): it stops at its next write, but a traffic write it has in flight may still land after this`
      : '';
    return {
      change: `restore the baseline of ${describeInputTarget(input)} (now ${live.summary}; left ${record.status} by ${record.owner})${risk}`,
      underLiveRun: lease?.live === true,
      async apply() {
        const done: Recovery = await recoverRecord(record, ended, deps, { force: true });
        const outcome =
          done.action === 'rolled-back'
            ? 'rolled-back'
            : done.action === 'none'
              ? 'nothing-to-do'
              : done.action;
        return { outcome, target, before: live.summary, reason: done.reason };
      },
    };
  }
  if (!live.split && !live.ambiguity) {
    return {
      report: {
        outcome: 'nothing-to-do',
        target,
        before: live.summary,
        reason: `nothing to recover: ${live.summary}`,
      },
    };
  }
  const context = live.context;
  if (!context) {
    return {
      report: {
        outcome: 'refused',
        target,
        before: live.summary,
        reason: `no rollout record for this target, and the split is not clear-cut (${live.summary}): ${live.ambiguity}. Nothing was changed`,
      },
    };
  }
  return {
    change: `restore the baseline of ${describeInputTarget(input)} (now ${live.summary}; no rollout record)`,
    async apply() {
      const applied = await router.rollback(context);
      return {
        outcome: 'rolled-back',
        target,
        before: live.summary,
        reason: `rolled back from the live split (no rollout record): ${applied.detail}`,
      };
    },
  };
}

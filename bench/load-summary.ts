/** The load bench's figures, from a run of bench/load.ts: the goals, calls per rollout, and what binds. */
import type { CallRecord, QuotaGroup } from '../local/quota-emulator';
import { AWS_QUOTAS } from '../local/quota-emulator';
import type { LoadResult, RolloutRun } from './load';

export interface Goals {
  rollouts: number;
  outcomesMatched: number;
  /** Rejected or failed, with throttling named in the error or cause. */
  failedByThrottling: number;
  /** Any run that ended neither promoted nor rolled back. */
  notDecided: number;
  /** Read back with both sides holding traffic. */
  leftSplit: number;
  /** Stopped on a traffic conflict (no one else changed these targets). */
  falseConflicts: number;
  /** The weight a run ended on (promoted 100%, rolled back 0%) differs from its read-back. */
  notReadBack: number;
  /** Requests the emulator throttled (the SDK and the state machine retried them). */
  throttledRequests: number;
  requests: number;
}

export function goals(result: LoadResult): Goals {
  const { loaded, alone } = result;
  const outcome = (r: RolloutRun | undefined) => r?.report.outcome;
  const throttled = /throttl|TooManyRequests|Rate exceeded/i;
  return {
    rollouts: loaded.length,
    outcomesMatched: loaded.filter((r, i) => outcome(r) === outcome(alone[i])).length,
    failedByThrottling: loaded.filter(
      (r) =>
        !['promoted', 'rolled-back'].includes(r.report.outcome) &&
        throttled.test(`${r.report.error ?? ''} ${r.report.reason}`),
    ).length,
    notDecided: loaded.filter((r) => !['promoted', 'rolled-back'].includes(r.report.outcome)).length,
    leftSplit: loaded.filter((r) => r.readBack > 0 && r.readBack < 1).length,
    falseConflicts: loaded.filter((r) => r.path.includes('AnnounceTrafficConflict')).length,
    notReadBack: loaded.filter(
      (r) =>
        (r.report.outcome === 'promoted' && r.readBack !== 1) ||
        (r.report.outcome === 'rolled-back' && r.readBack !== 0),
    ).length,
    throttledRequests: result.loadedCalls.filter((c) => c.throttled).length,
    requests: result.loadedCalls.length,
  };
}

export interface GroupUse {
  group: QuotaGroup;
  /** SDK calls (retries not counted) per rollout, averaged over the alone runs of this kind. */
  callsPerRollout: number;
  /** Calls per rollout-second over a rollout's life. */
  perRolloutSecond: number;
  /** Rollouts in flight at once that use the whole refill rate (at AWS's full quota). */
  sustainedRollouts: number;
  /** Rollouts whose starts in one minute fill the bucket's minute (Plan and the first step). */
  throttledUnderLoad: number;
}

/** Per target kind: each quota group's use, the binding one first. */
export function capacity(result: LoadResult, kind: RolloutRun['spec']['kind']): GroupUse[] {
  const runs = result.alone.filter((r) => r.spec.kind === kind);
  if (runs.length === 0) return [];
  const seconds = runs.reduce((sum, r) => sum + r.virtualMinutes * 60, 0) / runs.length;
  const kindCalls = result.aloneCalls[kind];
  const uses: GroupUse[] = [];
  for (const group of AWS_QUOTAS) {
    const calls = sdkCalls(kindCalls.filter((c) => c.group === group.name)) / runs.length;
    if (calls === 0) continue;
    const perRolloutSecond = calls / seconds;
    uses.push({
      group,
      callsPerRollout: calls,
      perRolloutSecond,
      sustainedRollouts: Math.floor(group.perSecond / perRolloutSecond),
      throttledUnderLoad: result.loadedCalls.filter((c) => c.group === group.name && c.throttled).length,
    });
  }
  return uses.sort((a, b) => a.sustainedRollouts - b.sustainedRollouts);
}

/** Calls per rollout per service and operation, from the alone runs of one kind. */
export function callsByOperation(result: LoadResult, kind: RolloutRun['spec']['kind']): Map<string, number> {
  const runs = result.alone.filter((r) => r.spec.kind === kind).length;
  const byOp = new Map<string, CallRecord[]>();
  for (const c of result.aloneCalls[kind]) {
    const op = `${c.service}:${c.op}`;
    byOp.set(op, [...(byOp.get(op) ?? []), c]);
  }
  const out = new Map<string, number>();
  for (const [op, calls] of byOp) out.set(op, sdkCalls(calls) / runs);
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}

/** SDK calls: an SDK call and its retries share an invocation id. */
function sdkCalls(calls: CallRecord[]): number {
  return new Set(calls.map((c, i) => c.call || `anonymous-${i}`)).size;
}

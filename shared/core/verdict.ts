/**
 * The verdict on one check: pass, fail, inconclusive or error. Pure: it judges numbers it is given.
 * No data is inconclusive, never a pass.
 */
import { type PairedMinute, rateRatioTest, sumArms } from './sequential-test';

export type VerdictKind = 'pass' | 'fail' | 'inconclusive' | 'error';

export interface ArmSummary {
  requests: number;
  errors: number;
  /** errors / requests, or null without requests. */
  errorRate: number | null;
}

export interface Evidence {
  window: { start: string; end: string };
  minutes: number;
  /** Errors the canary's requests would have produced at the baseline's rate: how much it can show. */
  expectedErrors: number;
  canary: ArmSummary;
  baseline: ArmSummary;
  test?: { eValue: number; threshold: number; rateRatio: number | null; tolerance: number };
  latency?: LatencyEvidence[];
  alarmsInAlarm: string[];
  unhealthyChecks?: string[];
}

export interface LatencyEvidence {
  statistic: string;
  canary: number | null;
  baseline: number | null;
  /** The canary value above which the check fails. */
  limit: number | null;
}

/** A percentile of each arm over the window, with the allowed slowdown. */
export interface LatencyInput {
  statistic: string;
  canary: number | null;
  baseline: number | null;
  tolerance: number;
  minIncrease: number;
}

export interface Verdict {
  verdict: VerdictKind;
  reason: string;
  evidence?: Evidence;
}

export interface JudgeConfig {
  alpha: number;
  tolerance: number;
  minInvocations: number;
  maxErrorRate?: number | undefined;
}

export interface JudgeInput {
  window: { start: Date; end: Date };
  minutes: readonly PairedMinute[];
  alarmsInAlarm: readonly string[];
  unhealthyChecks?: readonly string[];
  latency?: readonly LatencyInput[];
  config: JudgeConfig;
}

/** Judges one check from the paired per-minute counts since the canary first got traffic. */
/**
 * The error rate at which the evidence a promotion needs is sized when the baseline fails less often:
 * a new failure mode hitting one request in 200 should have shown before promotion. Sizing at the
 * baseline's own rate alone would hold an error-free service's canary forever.
 */
export const MIN_RATE = 0.005;

export function judge({
  window,
  minutes,
  alarmsInAlarm,
  unhealthyChecks = [],
  latency,
  config,
}: JudgeInput): Verdict {
  const total = sumArms(minutes);
  const canary = summarize(total.canary);
  const baseline = summarize(total.baseline);
  const test = rateRatioTest(minutes, config);
  const evidence: Evidence = {
    window: { start: window.start.toISOString(), end: window.end.toISOString() },
    minutes: minutes.length,
    expectedErrors: round(canary.requests * Math.max(baseline.errorRate ?? 0, MIN_RATE)),
    canary,
    baseline,
    test: {
      eValue: round(test.eValue),
      threshold: test.threshold,
      rateRatio: test.rateRatio === null ? null : round(test.rateRatio),
      tolerance: config.tolerance,
    },
    alarmsInAlarm: [...alarmsInAlarm],
    ...(unhealthyChecks.length > 0 ? { unhealthyChecks: [...unhealthyChecks] } : {}),
    ...(latency && latency.length > 0 ? { latency: latency.map(latencyEvidence) } : {}),
  };
  const rates = `canary ${describe(canary)} vs baseline ${describe(baseline)}`;

  if (alarmsInAlarm.length > 0) {
    return { verdict: 'fail', reason: `alarm in ALARM: ${alarmsInAlarm.join(', ')}`, evidence };
  }
  if (unhealthyChecks.length > 0) {
    return {
      verdict: 'fail',
      reason: `Route 53 health check unhealthy: ${unhealthyChecks.join(', ')}`,
      evidence,
    };
  }
  if (canary.requests === 0) {
    return { verdict: 'inconclusive', reason: 'no canary requests in the window yet', evidence };
  }
  if (test.rejected) {
    return {
      verdict: 'fail',
      reason:
        `canary error rate is higher than baseline's${config.tolerance > 0 ? ` beyond the ${pct(config.tolerance)} tolerance` : ''}: ${rates}; ` +
        `e-value ${round(test.eValue)} ≥ ${test.threshold} (alpha ${config.alpha})`,
      evidence,
    };
  }
  if (config.maxErrorRate !== undefined && canary.requests >= config.minInvocations) {
    if ((canary.errorRate ?? 0) > config.maxErrorRate) {
      return {
        verdict: 'fail',
        reason: `canary error rate ${pct(canary.errorRate ?? 0)} is above maxErrorRate ${pct(config.maxErrorRate)}`,
        evidence,
      };
    }
  }
  const slowIndex = (evidence.latency ?? []).findIndex(
    (l) => l.limit !== null && l.canary !== null && l.canary > l.limit,
  );
  const slow = evidence.latency?.[slowIndex];
  const asked = latency?.[slowIndex];
  if (slow && asked && canary.requests >= config.minInvocations) {
    return {
      verdict: 'fail',
      reason:
        `canary ${slow.statistic} latency ${round(slow.canary ?? 0)} is above the limit ${round(slow.limit ?? 0)} ` +
        `(baseline ${round(slow.baseline ?? 0)} + ${pct(asked.tolerance)}${asked.minIncrease ? ` + ${asked.minIncrease}` : ''})`,
      evidence,
    };
  }
  if (canary.requests < config.minInvocations) {
    return {
      verdict: 'inconclusive',
      reason: `only ${canary.requests} canary requests so far; ${config.minInvocations} needed to judge (${rates})`,
      evidence,
    };
  }
  if (baseline.requests === 0) {
    return { verdict: 'inconclusive', reason: 'no baseline requests to compare the canary with', evidence };
  }
  return { verdict: 'pass', reason: `no regression detected: ${rates}`, evidence };
}

function latencyEvidence(latency: LatencyInput): LatencyEvidence {
  const limit =
    latency.baseline === null ? null : latency.baseline * (1 + latency.tolerance) + latency.minIncrease;
  return { statistic: latency.statistic, canary: latency.canary, baseline: latency.baseline, limit };
}

function summarize(arm: { requests: number; errors: number }): ArmSummary {
  return { ...arm, errorRate: arm.requests > 0 ? arm.errors / arm.requests : null };
}

function describe(arm: ArmSummary): string {
  return `${arm.errors}/${arm.requests} (${arm.errorRate === null ? 'n/a' : pct(arm.errorRate)})`;
}

function pct(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(3))}%`;
}

function round(value: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(4)) : value;
}

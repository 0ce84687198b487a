/**
 * What the steps do differently for a release (several targets moved as one, docs/RELEASES.md): its
 * router is the ReleaseRouter over each target's own, its records are one per target, and its check
 * judges each target against its own baseline and combines the decisions (shared/core/release.ts).
 * The state machine and the steps stay those of a single rollout: `RolloutState.release` carries the
 * targets, and the state's own target, metrics and record are its first target's.
 */
import { type AssessInput, assess } from '../core/assess';
import type { Decision } from '../core/decision';
import type { Prior } from '../core/history';
import type { CountsQuery, LatencyQuery, MetricRef, TrafficContext, TrafficRouter } from '../core/ports';
import type { Provisioned } from '../core/provisioned';
import type { RecordRelease, RolloutRecord } from '../core/record';
import { combineDecisions, memberBudgets } from '../core/release';
import type { AnalysisConfig, Target } from '../core/schema';
import type { PairedMinute } from '../core/sequential-test';
import type { Verdict } from '../core/verdict';
import { kindOf } from '../targets/kinds';
import { memberContexts, ReleaseRouter } from '../targets/release-router';
import type { Deps } from './deps';

/** One target of a release, as the state carries it between steps. */
export interface ReleaseMemberState {
  target: Target;
  /** The target as the ReleaseRouter and the release's messages name it: `checkout:live`. */
  name: string;
  /** The target with its change: `alias checkout:live (version 6 → 7)`. */
  label: string;
  /** The target's rollout record (its owner is the release's execution). */
  key: string;
  metrics: CountsQuery;
  latency: LatencyQuery[];
  prior?: Prior;
  /** Its error series has no datapoint in a minute without errors (its kind's, or its analysis's, say). */
  errorsPublishedOnlyWhenNonZero?: true;
  lastVerdict?: Verdict;
  /** The minutes the last check saw for the first time, as a rollout's `lastMinutes`. */
  lastMinutes?: PairedMinute[];
  /** The capacity its canary gets before any target takes traffic, as a rollout's `provisioned`. */
  provisioned?: Provisioned;
  /** Its canary runs on demand beside a warm stable side: as a rollout's `coldCanary`. */
  coldCanary?: { minutes: string[] };
}

export interface ReleaseState {
  /** The operators' name for the release (`fledge status <release>`), when the input gave one. */
  name?: string;
  /** In the release's order: promotion switches them in it. */
  members: ReleaseMemberState[];
  /**
   * Set when any target's canary gets provisioned capacity: 'planned', then the release's status of it
   * after each ProvisionCanary (READY when every target's is, FAILED as soon as one target's is). The
   * state machine loops on it as it does on a rollout's `provisioned.status`.
   */
  capacity?: 'planned' | 'IN_PROGRESS' | 'READY' | 'FAILED';
  /** The release's input as validated: its first target's record keeps it, for `fledge retry`. */
  input?: unknown;
}

type WithRelease = { target: Target; release?: ReleaseState | undefined };

/** The router of the state's traffic: the target's own, or the release's over every target's. */
export function routerOf(state: WithRelease, deps: Pick<Deps, 'router'>): TrafficRouter {
  if (!state.release) return deps.router(state.target);
  return new ReleaseRouter(
    state.release.members.map((m) => ({ label: m.name, router: deps.router(m.target) })),
  );
}

/** Each target's traffic inside the release's context, in the release's order. */
export function memberTraffic(release: ReleaseState, traffic: TrafficContext): TrafficContext[] {
  return memberContexts(
    traffic,
    release.members.map((m) => ({ label: m.name })),
  );
}

/**
 * The records of a release from the record the state describes: one per target, each with the target's
 * own key, label and traffic (its weight and last write), and the release they belong to.
 */
export function releaseRecords(release: ReleaseState, record: RolloutRecord): RolloutRecord[] {
  const traffic = record.traffic ? memberTraffic(release, record.traffic) : [];
  const named: RecordRelease = {
    ...(release.name ? { name: release.name } : {}),
    keys: release.members.map((m) => m.key),
  };
  const withInput: RecordRelease = release.input === undefined ? named : { ...named, input: release.input };
  return release.members.map((m, i) => ({
    ...record,
    key: m.key,
    target: m.target,
    label: m.label,
    ...(traffic[i] ? { traffic: traffic[i] } : {}),
    ...(m.provisioned ? { provisioned: m.provisioned } : {}),
    ...(m.lastVerdict && record.lastCheck
      ? { lastCheck: { ...record.lastCheck, verdict: m.lastVerdict.verdict } }
      : {}),
    input: { ...(record.input as Record<string, unknown>), target: m.target },
    release: i === 0 ? withInput : named,
  }));
}

/** What a release's check reads and judges of each target, and the release's one decision. */
export interface ReleaseCheck {
  verdict: Verdict;
  decision: Decision;
  members: ReleaseMemberState[];
}

type SharedAssess = Omit<AssessInput, 'minutes' | 'latency' | 'prior' | 'names' | 'config'> & {
  analysis: AnalysisConfig;
};

/**
 * Judges each target against its own baseline at alpha / n and beta / n (the same assess() a rollout's
 * check calls, with the target kind's error-series rule), then combines the decisions: the release
 * rolls back as soon as one target does, and promotes only when every target has its evidence.
 */
export function judgeRelease(
  release: ReleaseState,
  shared: SharedAssess,
  minutes: ReadonlyArray<readonly PairedMinute[] | undefined>,
  seen: (member: ReleaseMemberState, minutes: readonly PairedMinute[] | undefined) => PairedMinute[],
): ReleaseCheck {
  const { analysis, ...common } = shared;
  const n = release.members.length;
  const judged = release.members.map((member, i) => {
    const assessed = assess({
      ...common,
      config: memberBudgets(judgeConfigOf(member, analysis), n),
      minutes: minutes[i],
      latency: member.latency.map((l) => ({ statistic: l.statistic, ...l.thresholds })),
      prior: member.prior,
      names: {
        requests: metricName(member.metrics.canary.requests),
        errors: metricName(member.metrics.canary.errors),
        ...(member.latency[0] ? { latency: metricName(member.latency[0].canary) } : {}),
      },
    });
    return { member, ...assessed };
  });
  const decision = combineDecisions(
    common.progress,
    judged.map((j) => ({ label: j.member.name, decision: j.decision })),
  );
  return {
    verdict: releaseVerdict(judged.map((j) => ({ name: j.member.name, verdict: j.verdict }))),
    decision,
    members: judged.map(({ member, verdict }, i) => ({
      ...member,
      lastVerdict: verdict,
      lastMinutes: seen(member, minutes[i]),
    })),
  };
}

const SEVERITY: Record<Verdict['verdict'], number> = { fail: 3, error: 2, inconclusive: 1, pass: 0 };

/**
 * The release's verdict: its worst target's (fail, then error, then inconclusive, then pass), with the
 * evidence of that target, and a reason naming every target at that verdict.
 */
export function releaseVerdict(members: ReadonlyArray<{ name: string; verdict: Verdict }>): Verdict {
  const worst = Math.max(...members.map((m) => SEVERITY[m.verdict.verdict]));
  const at = members.filter((m) => SEVERITY[m.verdict.verdict] === worst);
  const first = at[0]?.verdict as Verdict;
  const reason =
    worst === 0 && at.length === members.length
      ? `every target passed: ${at.map((m) => `${m.name}: ${m.verdict.reason}`).join('; ')}`
      : at.map((m) => `${m.name}: ${m.verdict.reason}`).join('; ');
  return { ...first, reason };
}

/** The analysis as the verdict reads it for one target: whether its error series is sparse is its own. */
function judgeConfigOf(member: ReleaseMemberState, analysis: AnalysisConfig) {
  return member.errorsPublishedOnlyWhenNonZero
    ? { ...analysis, errors: { publishedOnlyWhenNonZero: true } }
    : analysis;
}

/** Whether a target's error series is sparse: as its own analysis names it, or as its kind's metrics are. */
export function sparseErrors(target: Target, analysis: Pick<AnalysisConfig, 'errors'>): boolean {
  if (analysis.errors) return analysis.errors.publishedOnlyWhenNonZero === true;
  return kindOf(target).defaultMetrics?.errorsPublishedOnlyWhenNonZero ?? false;
}

function metricName(ref: MetricRef): string {
  return `${ref.namespace} ${ref.metricName}`;
}

/**
 * One check of a release (several targets moved as one): each target's canary is judged against its own
 * baseline by the same assess() a single rollout uses, with the release's error budgets split among the
 * targets, and the targets' decisions are combined into the release's one decision. Pure.
 *
 * Why alpha / n and beta / n (Bonferroni): a healthy release is rolled back when any one of its n targets
 * is, so P(false rollback) ≤ Σ alpha / n = alpha; a release promotes a target that is at least
 * maxRegression worse only when that target's own promotion evidence came falsely, so with k bad targets
 * P(promoting a bad one) ≤ k · beta / n ≤ beta. The release keeps the promises of one rollout at the
 * given alpha and beta, whatever the mix of targets; each target's test is stricter, so a release of n
 * targets needs somewhat more canary traffic per target than one rollout does (docs/RELEASES.md).
 */
import { type AssessInput, type Assessment, assess } from './assess';
import type { Decision, Progress } from './decision';
import { EXTRA_MINUTES } from './history';
import type { JudgeConfig } from './verdict';

/** The fewest and most targets one release may hold (issue 20). */
export const RELEASE_TARGETS = { min: 2, max: 20 } as const;

/** A target's share of the release's error budgets: alpha / n and beta / n. */
export function memberBudgets<C extends Pick<JudgeConfig, 'alpha' | 'beta'>>(config: C, targets: number): C {
  if (!Number.isInteger(targets) || targets < 1)
    throw new RangeError(`a release needs targets, got ${targets}`);
  return { ...config, alpha: config.alpha / targets, beta: config.beta / targets };
}

/**
 * The hold for promotion evidence Plan fixes for a release whose input leaves it unset: the longest any
 * target's last hour asks for, lengthened by ln(n / beta) / ln(1 / beta). Promotion evidence must reach
 * n / beta instead of 1 / beta, and its logarithm grows about linearly with the canary's requests, so
 * each target needs about that much more time; the release also waits for the slowest of its targets.
 */
export function releaseExtraMinutes(
  perTarget: readonly number[],
  beta: number,
  cap: number = EXTRA_MINUTES.max,
): number {
  if (perTarget.length === 0) throw new RangeError('a release needs targets');
  const longest = Math.max(...perTarget);
  const stretch = Math.log(perTarget.length / beta) / Math.log(1 / beta);
  return Math.min(cap, Math.ceil(longest * stretch));
}

/** What the release's check judges of one target: assess()'s input without the shared parts. */
export type MemberInput = Omit<AssessInput, 'steps' | 'progress' | 'config' | 'now'>;

export interface ReleaseAssessInput {
  steps: AssessInput['steps'];
  /** The release's progress: one schedule, one step, shared by every target. */
  progress: Progress;
  /** The release's analysis; each target is judged at its share of alpha and beta. */
  config: AssessInput['config'];
  now: Date;
  /** Each target's minutes and gates, by the target's label (the order is the release's). */
  members: ReadonlyArray<{ label: string } & MemberInput>;
}

export interface ReleaseAssessment {
  /** Each target's own verdict and decision, in the release's order. */
  members: Array<{ label: string } & Assessment>;
  decision: Decision;
}

/** Judges every target of a release on its own, then decides for the release as a whole. */
export function assessRelease(input: ReleaseAssessInput): ReleaseAssessment {
  const config = memberBudgets(input.config, input.members.length);
  const members = input.members.map(({ label, ...member }) => ({
    label,
    ...assess({ ...member, steps: input.steps, progress: input.progress, config, now: input.now }),
  }));
  return { members, decision: combineDecisions(input.progress, members) };
}

/**
 * The release's decision from its targets' decisions, all taken at the same step of the same schedule:
 * - any target rolls back: the release rolls back, at once, naming it;
 * - every target promotes: the release promotes;
 * - every target advances: the release advances;
 * - otherwise (a target holds: its step bakes, or it waits for data or evidence) the release holds at
 *   its step, and checks again at the soonest recheck any holding target asked for. A target that could
 *   have advanced waits for the others at the same traffic: no target moves ahead of the release.
 */
export function combineDecisions(
  progress: Progress,
  members: ReadonlyArray<{ label: string; decision: Decision }>,
): Decision {
  if (members.length === 0) throw new RangeError('a release decision needs at least one target');
  const checked: Progress = {
    ...progress,
    checks: progress.checks + 1,
    // Analysis errors in a row on any target: one target that cannot be read holds the whole release.
    consecutiveErrors: Math.max(...members.map((m) => m.decision.progress.consecutiveErrors)),
  };
  const insufficientData = members.some((m) => m.decision.insufficientData) ? { insufficientData: true } : {};
  const rolledBack = members.filter((m) => m.decision.action === 'rollback');
  if (rolledBack.length > 0) {
    return {
      action: 'rollback',
      reason: rolledBack.map((m) => `${m.label}: ${m.decision.reason}`).join('; '),
      waitSeconds: 0,
      progress: checked,
      ...insufficientData,
    };
  }
  const holding = members.filter((m) => m.decision.action === 'hold');
  if (holding.length > 0) {
    return {
      action: 'hold',
      reason: holding.map((m) => `${m.label}: ${m.decision.reason}`).join('; '),
      waitSeconds: Math.max(1, Math.min(...holding.map((m) => m.decision.waitSeconds))),
      progress: checked,
      ...insufficientData,
    };
  }
  const actions = new Set(members.map((m) => m.decision.action));
  if (actions.size > 1) {
    // Same schedule, same step: one target cannot promote while another advances. Never guess.
    return {
      action: 'rollback',
      reason: `the targets disagree on what comes next (${[...actions].join(', ')}); rolling every target back`,
      waitSeconds: 0,
      progress: checked,
    };
  }
  const action = members[0]?.decision.action ?? 'rollback';
  const reason =
    action === 'promote'
      ? `every target has its promotion evidence: ${members.map((m) => `${m.label}: ${m.decision.reason}`).join('; ')}`
      : `every target passed step ${progress.stepIndex + 1}`;
  return {
    action,
    reason,
    waitSeconds: 0,
    progress: action === 'advance' ? { ...checked, stepIndex: progress.stepIndex + 1 } : checked,
    ...insufficientData,
  };
}

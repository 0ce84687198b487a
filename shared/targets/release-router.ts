/**
 * A release's traffic: one TrafficRouter over the routers of its targets (any mix of kinds), so the steps
 * that move one target move a release unchanged. Each target keeps its own context (sides, last write,
 * snapshot) inside the release's: the contexts Plan read sit in `snapshot`, and each target's last write
 * in the release's opaque `revision`, which the steps carry after every write as they do a target's.
 *
 * - setWeight moves every target at once (one task, its writes in parallel) and returns only when each
 *   has read back the step's weight; the bake starts after. A target that fails leaves the others as they
 *   read back, and the error names each target's traffic.
 * - promote switches the targets one by one, in the release's order, and stops at the first failure: the
 *   state machine then rolls every target back (all old, never mixed: see docs/RELEASES.md).
 * - rollback restores every target, those that passed too, each tried even when another fails; if any
 *   fails, the error names each target's traffic (the state machine's RollbackFailed carries it).
 */
import { InvalidInputError } from '../core/errors';
import type { Applied, LiveSplit, TrafficContext, TrafficRouter } from '../core/ports';

/** One target of a release: how a person names it, and its kind's router. */
export interface ReleaseMember {
  label: string;
  router: TrafficRouter;
  /** Plan's check of this target as read (its schedule fitted to it), before anything is written. */
  check?: (context: TrafficContext) => void;
}

/** What the release's context keeps of each target between steps (in TrafficContext.snapshot). */
export interface MemberContext {
  label: string;
  context: TrafficContext;
}

/** The release's context's snapshot: each target's context as Plan read it (revisions aside). */
export interface ReleaseSnapshot {
  release: MemberContext[];
}

/** What a target's write left: its canary weight as read back, or why it is unknown. */
type Landed = { label: string; applied: Applied } | { label: string; error: Error; weight: number };

/** Moves, promotes and rolls back every target of a release; one TrafficRouter to the steps. */
export class ReleaseRouter implements TrafficRouter {
  constructor(private readonly members: readonly ReleaseMember[]) {
    if (members.length === 0) throw new RangeError('a release needs targets');
  }

  async prepare(
    check?: (context: TrafficContext) => void,
    options?: { readOnly?: boolean },
  ): Promise<TrafficContext> {
    // Every target is read and checked before any is prepared for real (a Route 53 router then writes
    // its canary record's values at weight 0): a release refused for one target writes nothing at all.
    const read = await this.prepareEach(check, { readOnly: true });
    if (options?.readOnly) return read;
    return this.prepareEach(check, {});
  }

  private async prepareEach(
    check: ((context: TrafficContext) => void) | undefined,
    options: { readOnly?: boolean },
  ): Promise<TrafficContext> {
    const contexts: MemberContext[] = [];
    for (const [i, member] of this.members.entries()) {
      try {
        const context = await member.router.prepare((c) => {
          member.check?.(c);
          check?.(c);
        }, options);
        contexts.push({ label: member.label, context });
      } catch (error) {
        throw placed(error, i, member.label);
      }
    }
    return releaseContext(contexts);
  }

  async setWeight(weight: number, context: TrafficContext): Promise<Applied> {
    const contexts = memberContexts(context, this.members);
    const landed = await Promise.all(
      this.members.map((member, i) =>
        settle(member.label, contexts[i] as TrafficContext, (c) => member.router.setWeight(weight, c)),
      ),
    );
    return combine(landed, `moving every target to ${weight}%`);
  }

  async promote(context: TrafficContext): Promise<Applied> {
    const contexts = memberContexts(context, this.members);
    const landed: Landed[] = [];
    for (const [i, member] of this.members.entries()) {
      const result = await settle(member.label, contexts[i] as TrafficContext, (c) =>
        member.router.promote(c),
      );
      landed.push(result);
      if ('error' in result) {
        // The rest are not promoted: the rollback that follows restores every target, these included.
        this.members.slice(i + 1).forEach((rest, j) => {
          landed.push({ label: rest.label, error: NOT_TRIED, weight: contexts[i + 1 + j]?.weight ?? 0 });
        });
        break;
      }
    }
    return combine(landed, 'promoting the targets in order');
  }

  async rollback(context: TrafficContext): Promise<Applied> {
    const contexts = memberContexts(context, this.members);
    const landed = await Promise.all(
      this.members.map((member, i) =>
        settle(member.label, contexts[i] as TrafficContext, (c) => member.router.rollback(c)),
      ),
    );
    return combine(landed, 'rolling every target back');
  }

  async inspect(): Promise<LiveSplit> {
    const splits = await Promise.all(this.members.map((m) => m.router.inspect()));
    const summary = splits.map((s, i) => `${this.members[i]?.label}: ${s.summary}`).join('; ');
    const split = splits.some((s) => s.split);
    const ambiguity = splits.flatMap((s, i) =>
      s.ambiguity ? [`${this.members[i]?.label}: ${s.ambiguity}`] : [],
    );
    if (ambiguity.length > 0) return { summary, split, ambiguity: ambiguity.join('; ') };
    // A rollback without a record needs every split target's sides; unsplit targets need none.
    const contexts = splits.map((s, i) => ({ label: this.members[i]?.label ?? '', context: s.context }));
    if (contexts.every((c) => c.context !== undefined)) {
      return { summary, split, context: releaseContext(contexts as MemberContext[]) };
    }
    return { summary, split };
  }
}

/**
 * A refusal of one target, as the release's input names it: `targets[2] (checkout:live): targets[2].version
 * '7' is not a published version …`. Other failures (transient, denied) keep their name and message.
 */
function placed(error: unknown, index: number, label: string): unknown {
  if (!(error instanceof InvalidInputError)) return error;
  const message = error.message
    .replace(/^invalid (rollout|release) input: /, '')
    .replace(/(^|[^\w.[\]])target\./g, `$1targets[${index}].`);
  return new InvalidInputError(`invalid release input: targets[${index}] (${label}): ${message}`, {
    cause: error,
  });
}

/** Marks the targets a promotion stopped before. */
const NOT_TRIED = Object.assign(new Error('not tried: an earlier target failed first'), { name: 'NotTried' });

/** The release's context from its targets': the sides and the weight as a person reads them. */
export function releaseContext(members: readonly MemberContext[]): TrafficContext {
  const weights = new Set(members.map((m) => m.context.weight));
  const max = (pick: (c: TrafficContext) => number | undefined) => {
    const values = members.flatMap((m) => {
      const v = pick(m.context);
      return v === undefined ? [] : [v];
    });
    return values.length > 0 ? Math.max(...values) : undefined;
  };
  const ttlSeconds = max((c) => c.ttlSeconds);
  const requestSeconds = max((c) => c.requestSeconds);
  return {
    baseline: members.map((m) => `${m.label}: ${m.context.baseline}`).join(', '),
    canary: members.map((m) => `${m.label}: ${m.context.canary}`).join(', '),
    // Targets read at different weights (a recovery's inspect) count by the highest: the canaries' largest
    // exposure. Each target's own weight is in the revision token.
    weight: Math.max(...weights),
    revision: revisionToken(members.map((m) => ({ weight: m.context.weight, revision: m.context.revision }))),
    ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
    ...(requestSeconds !== undefined ? { requestSeconds } : {}),
    snapshot: {
      release: members.map((m) => ({ label: m.label, context: { ...m.context, revision: undefined } })),
    } satisfies ReleaseSnapshot,
  };
}

/** Each target's context inside the release's: its sides as Plan read them, its last write and weight. */
export function memberContexts<M extends { label: string }>(
  context: TrafficContext,
  members: readonly M[],
): TrafficContext[] {
  const snapshot = context.snapshot as Partial<ReleaseSnapshot> | undefined;
  const saved = snapshot?.release;
  if (!Array.isArray(saved) || saved.length !== members.length) {
    throw new RangeError(
      `the release's context holds ${Array.isArray(saved) ? saved.length : 'no'} targets, the release ${members.length}`,
    );
  }
  const written = context.revision ? (JSON.parse(context.revision) as WrittenTarget[]) : [];
  return saved.map((m, i) => {
    if (m.label !== members[i]?.label)
      throw new RangeError(`the release's target ${i + 1} is ${members[i]?.label}, its context's ${m.label}`);
    const last = written[i];
    // Each target as the release last recorded it (a failed step's state is the one before it: the
    // state machine keeps the old context when a step fails, as for a single target).
    return { ...m.context, weight: last?.w ?? context.weight, revision: last?.r ?? undefined };
  });
}

/** What the release's revision token keeps of each target's last write: its weight and its revision. */
interface WrittenTarget {
  w: number;
  r: string | null;
}

function revisionToken(targets: ReadonlyArray<{ weight: number; revision?: string | undefined }>): string {
  return JSON.stringify(targets.map((t): WrittenTarget => ({ w: t.weight, r: t.revision ?? null })));
}

async function settle(
  label: string,
  context: TrafficContext,
  write: (context: TrafficContext) => Promise<Applied>,
): Promise<Landed> {
  try {
    return { label, applied: await write(context) };
  } catch (error) {
    return { label, error: error as Error, weight: context.weight };
  }
}

/**
 * The release's result from its targets': every target's read-back, or an error that keeps the name of
 * the failure that matters most (a conflict, then any lasting failure, then a transient one, so the
 * state machine routes as it would for that target alone) and says what each target has.
 */
function combine(landed: readonly Landed[], what: string): Applied {
  const failed = landed.filter(
    (l): l is Extract<Landed, { error: Error }> => 'error' in l && l.error !== NOT_TRIED,
  );
  const traffic = landed.map(describeLanded).join('; ');
  if (failed.length > 0) {
    const worst =
      failed.find((f) => f.error.name === 'TrafficConflictError') ??
      failed.find((f) => f.error.name !== 'TransientAwsError' && f.error.name !== 'StepTimeoutError') ??
      (failed[0] as (typeof failed)[number]);
    const error = new Error(
      `${what} failed on ${failed.map((f) => f.label).join(', ')} (${worst.label}: ${worst.error.message}). Each target: ${traffic}`,
      { cause: worst.error },
    );
    error.name = worst.error.name;
    throw error;
  }
  const applied = landed.map((l) => (l as Extract<Landed, { applied: Applied }>).applied);
  return {
    // As read back. Targets whose kinds round a weight differently (Route 53's integer weights) may
    // read back apart: the release counts the highest, the canary's largest exposure, and the detail
    // and the revision token keep each target's own.
    weight: Math.max(...applied.map((a) => a.weight)),
    revision: revisionToken(applied),
    detail: traffic,
  };
}

function describeLanded(landed: Landed): string {
  if ('applied' in landed) return `${landed.label}: ${landed.applied.detail}`;
  if (landed.error === NOT_TRIED) return `${landed.label}: not changed (${landed.weight}% on the canary)`;
  return `${landed.label}: ${landed.weight}% on the canary or the write's weight, unconfirmed (${landed.error.name})`;
}

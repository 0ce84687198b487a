/**
 * The operator commands' logic, apart from argument parsing: find the rollout a command names, say
 * where it is, and leave a request beside its record for the next check (docs/OPERATIONS.md). Each
 * refusal is a RequestRefusedError or InvalidInputError with a message that says why and what to do.
 */
import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { isExecutionArn, isLocalRun } from '../../shared/aws/executions';
import { InvalidInputError, RequestRefusedError } from '../../shared/core/errors';
import {
  type CommandAction,
  mayReplace,
  type OperatorCommand,
  type OperatorRequests,
  pauseLeft,
  pendingCommandRefusal,
} from '../../shared/core/operator';
import type { RolloutRecords } from '../../shared/core/ports';
import {
  type ExecutionState,
  type Executions,
  isActive,
  type RolloutRecord,
  recordKey,
} from '../../shared/core/record';
import { describeIssues, type Target, TargetSchema } from '../../shared/core/schema';
import { targetLabel } from '../../shared/core/target-label';
import { UsageError } from '../shared/exit';

/** What a command names: an execution ARN, `function:alias`, or the target of an input file. */
export interface RolloutRef {
  rollout?: string | undefined;
  input?: unknown;
}

export interface Found {
  record: RolloutRecord;
  requests: OperatorRequests;
  execution: ExecutionState;
  /** A release's other targets' records, in its order (the record above is its first target's). */
  others?: RolloutRecord[];
}

/** The record a command acts on, active or last ended. */
export async function findRollout(
  ref: RolloutRef,
  records: RolloutRecords,
  executions: Executions,
): Promise<Found> {
  const record = await releaseLead(await lookup(ref, records), records);
  const [requests, execution, others] = await Promise.all([
    records.requests(record.key),
    executions.describe(record.owner),
    otherTargets(record, records),
  ]);
  return { record, requests, execution, ...(others ? { others } : {}) };
}

/**
 * A release's requests sit beside its first target's record, which its checks read: a command that
 * names another of its targets acts on the release through that record, never on one target alone.
 */
async function releaseLead(record: RolloutRecord, records: RolloutRecords): Promise<RolloutRecord> {
  const lead = record.release?.keys[0];
  if (!lead || lead === record.key) return record;
  const found = await records.get(lead);
  return found?.owner === record.owner ? found : record;
}

async function otherTargets(
  record: RolloutRecord,
  records: RolloutRecords,
): Promise<RolloutRecord[] | undefined> {
  const keys = record.release?.keys.slice(1);
  if (!keys) return undefined;
  const found = await Promise.all(keys.map((key) => records.get(key)));
  return found.filter((r): r is RolloutRecord => r?.owner === record.owner);
}

/**
 * The watched rollout again, by its record: undefined once another rollout holds the target, which it
 * can only do after the watched one ended (`fledge status --watch`).
 */
export async function refreshRollout(
  watched: RolloutRecord,
  records: RolloutRecords,
  executions: Executions,
): Promise<Found | undefined> {
  const record = await records.get(watched.key);
  if (!record || record.owner !== watched.owner) return undefined;
  const [requests, execution] = await Promise.all([
    records.requests(record.key),
    executions.describe(record.owner),
  ]);
  return { record, requests, execution };
}

/** What `fledge status --watch` says of a rollout whose record another rollout has taken over. */
export interface Superseded {
  rollout: string;
  key: string;
  owner: string;
  status: 'ended';
  execution: ExecutionState['status'];
  /** The rollout that holds the target now. */
  next?: { owner: string; status: RolloutRecord['status'] } | undefined;
}

export function describeSuperseded(s: Superseded): string[] {
  // A local run's history is not in Step Functions: only a deployed execution has a report to draw.
  const report =
    !s.owner.startsWith('arn:') || isLocalRun(s.owner)
      ? ''
      : `; \`fledge report --execution ${s.owner}\` shows how it ended`;
  return [
    `${s.rollout}: the watched rollout (execution ${s.owner}) has ended (execution ${s.execution})${report}`,
    s.next
      ? `  another rollout (execution ${s.next.owner}) now holds the target (${s.next.status}); \`fledge status\` shows it`
      : '  its record is gone (expired)',
  ];
}

/**
 * Checks how a command names its rollout, before anything is read or asked (a region, the table): a
 * malformed name is a UsageError naming the argument, an input without a valid target an
 * InvalidInputError naming the field. `lookup` runs the same checks.
 */
export function checkRolloutRef(ref: RolloutRef): void {
  if (ref.input !== undefined) targetOfInput(ref.input);
  if (ref.rollout !== undefined) rolloutKey(ref.rollout);
  else if (ref.input === undefined)
    throw new UsageError(
      'name the rollout: an execution ARN, <function>:<alias>, a release name, or --input <file>',
    );
}

function targetOfInput(input: unknown): Target {
  const target = TargetSchema.safeParse((input as { target?: unknown } | null)?.target);
  if (!target.success) {
    throw new InvalidInputError(
      `--input names no valid target: ${describeIssues(target.error.issues, ['target']).join('; ')} (see docs/INPUT.md). Nothing was changed`,
    );
  }
  return target.data;
}

/** The record key an alias name reads, or the execution ARN to look up by. */
function rolloutKey(name: string): { key: string } | { arn: string } | { release: string } {
  const how =
    'name an execution ARN (arn:aws:states:<region>:<account>:execution:<state machine>:<name>), a Lambda target as <function>:<alias>, a release by its name, or pass --input <file> (Route 53 targets)';
  if (name.startsWith('arn:')) {
    if (!isExecutionArn(name))
      throw new UsageError(
        `the rollout argument '${name}' is not a rollout: it is not a Step Functions execution ARN; ${how}`,
      );
    return { arn: name };
  }
  if (RELEASE_NAME.test(name)) return { release: name };
  const [functionName, alias, extra] = name.split(':');
  if (!functionName || !alias || extra !== undefined)
    throw new UsageError(`the rollout argument '${name}' is not a rollout: ${how}`);
  return { key: `lambda-alias#${functionName}#${alias}` };
}

async function lookup(ref: RolloutRef, records: RolloutRecords): Promise<RolloutRecord> {
  checkRolloutRef(ref);
  if (ref.input !== undefined) {
    const target = targetOfInput(ref.input);
    const key = recordKey(target);
    if (ref.rollout !== undefined) {
      // Both name a rollout: act only when they name the same one, never pick one of them silently.
      const named = await lookup({ rollout: ref.rollout }, records).catch(() => undefined);
      if (named?.key !== key) {
        throw new UsageError(
          `'${ref.rollout}' and --input name different targets (${named ? named.label : `'${ref.rollout}' is not on record`}; the input's is ${targetLabel(target)}): name the rollout one way only. Nothing was changed`,
        );
      }
    }
    return orNone(await records.get(key), `${targetLabel(target)} (the input's target)`);
  }
  const name = ref.rollout as string;
  const found = rolloutKey(name);
  if ('arn' in found) return orNone(await records.forExecution(found.arn), name);
  if ('release' in found) {
    const release = await releaseNamed(found.release, records);
    if (!release) {
      throw new RequestRefusedError(
        `no release named '${name}' is on record (a Lambda target is named <function>:<alias>); nothing was changed`,
      );
    }
    return release;
  }
  return orNone(await records.get(found.key), name);
}

/** A release's name as the input gives it (schema.ts): no `:`, so never a `<function>:<alias>`. */
const RELEASE_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The first target's record (the one its checks read) of the release in progress by that name, or else
 * of the newest one that ended, as a target's name finds its last rollout.
 */
async function releaseNamed(name: string, records: RolloutRecords): Promise<RolloutRecord | undefined> {
  const held = (await records.active()).filter((r) => r.release?.name === name);
  return held.find((r) => r.key === r.release?.keys[0]) ?? held[0] ?? (await records.forRelease(name));
}

function orNone(record: RolloutRecord | undefined, what: string): RolloutRecord {
  if (!record) throw new RequestRefusedError(`no rollout of ${what} is on record; nothing was changed`);
  return record;
}

/** Who is asking: the caller's IAM identity, or, where it cannot be had (an emulator), the local user. */
export async function whoAmI(identity: () => Promise<{ arn: string }>): Promise<string> {
  try {
    return (await identity()).arn;
  } catch {
    return `${userInfo().username}@${hostname()}`;
  }
}

export type Act = CommandAction | 'pause' | 'resume';

export interface ActOptions {
  reason: string;
  by: string;
  skipAnalysis?: boolean | undefined;
  now?: Date;
}

export interface Acted {
  action: Act;
  rollout: string;
  owner: string;
  message: string;
}

/**
 * How to run an ended rollout again: `fledge retry` starts the deployed state machine with the input it
 * had, which a local run never put there.
 */
function howToRunAgain(owner: string): string {
  return isLocalRun(owner)
    ? 'It was a local run: `fledge run --input <file>` runs it again (`fledge retry` starts only deployed rollouts)'
    : '`fledge retry` starts it again';
}

/**
 * Throws RequestRefusedError when a request would not apply to the rollout as found: checked before
 * anything is asked or written. Returns the pending command the new one may take the place of: one a
 * check has already applied (its clear was lost), or, for an abort, a pending command that is not an
 * abort (`takesPlaceOf`, which the message names).
 */
export function checkApplies(
  action: Act,
  found: Found,
): { replacing?: string; takesPlaceOf?: OperatorCommand } {
  const { record, requests, execution } = found;
  if (!isActive(record.status)) {
    throw new RequestRefusedError(
      `${record.label}: its last rollout has ended (${record.status}${record.outcome ? `: ${record.outcome.reason}` : ''}); there is nothing to ${action}` +
        (['rolled-back', 'conflict'].includes(record.status) ? `. ${howToRunAgain(record.owner)}` : ''),
    );
  }
  if (execution.status !== 'RUNNING' && execution.status !== 'UNKNOWN') {
    throw new RequestRefusedError(
      `${record.label}: its execution has ended (${execution.status}) without finishing the rollout; fledge recovery restores the target within minutes, or run \`fledge recover\`. Nothing was changed`,
    );
  }
  const ending = ENDING[record.status];
  if (ending) {
    throw new RequestRefusedError(
      `${record.label}: ${ending}; no check runs any more, so there is nothing to ${action}. Nothing was changed (\`fledge status --watch\` follows it to the end)`,
    );
  }
  if (action === 'pause' && BEFORE_TRAFFIC.has(record.status)) {
    throw new RequestRefusedError(
      `${record.label}: no traffic has moved yet (${record.status}) and no check runs before the first step's weight is set, so a pause could not hold it at 0%; \`fledge abort\` stops it before any traffic moves, or pause once \`fledge status\` shows it baking. Nothing was changed`,
    );
  }
  if ((action === 'approve' || action === 'reject') && !record.gate) {
    throw new RequestRefusedError(
      `${record.label}: no approval gate is open (status ${record.status}); there is nothing to ${action} yet`,
    );
  }
  if (action === 'resume' && !requests.pause) {
    throw new RequestRefusedError(`${record.label}: the rollout is not paused; nothing to resume`);
  }
  if (action === 'pause' && requests.pause) {
    throw new RequestRefusedError(
      `${record.label}: already paused by ${requests.pause.by} since ${requests.pause.since}; \`fledge resume\` lifts the pause`,
    );
  }
  const budget = pauseBudget(record);
  if (action === 'pause' && budget && budget.left <= 0) {
    throw new RequestRefusedError(
      `${record.label}: its pauses have used ${budget.used} of the ${budget.max} minute(s) gates.maxPauseMinutes allows a rollout in all (the execution's time limit leaves room for no more), so a pause now would roll it back at the next check. Nothing was changed; \`fledge abort\` rolls it back, or let it go on`,
    );
  }
  const pending = requests.command;
  if (action === 'pause' || action === 'resume' || !pending) return {};
  if (record.handled?.includes(pending.id)) return { replacing: pending.id };
  if (!mayReplace(action, pending))
    throw new RequestRefusedError(`${record.label}: ${pendingCommandRefusal(action, pending)}`);
  // Replaced by its id, the one read here: a command written by an older fledge has no commandAction
  // for the table's condition to tell an abort by, and the id still fails the write if another command
  // took its place meanwhile.
  return { replacing: pending.id, takesPlaceOf: pending };
}

/**
 * The pause time a rollout may still use: gates.maxPauseMinutes is one budget for all its pauses, and the
 * record says how much of it the rollout had used at its last check. Undefined when the record keeps no
 * input to read the budget from.
 */
export function pauseBudget(record: RolloutRecord): { max: number; used: number; left: number } | undefined {
  const max = (record.input as { gates?: { maxPauseMinutes?: unknown } } | undefined)?.gates?.maxPauseMinutes;
  if (typeof max !== 'number') return undefined;
  const used = record.pausedMinutes ?? 0;
  return { max, used, left: pauseLeft(max, used) };
}

/** What is happening in the statuses where no check runs any more, though the rollout has not ended. */
const ENDING: Partial<Record<RolloutRecord['status'], string>> = {
  promoting: 'it is being promoted (all traffic to the new version)',
  verifying: 'it has been promoted and its afterAllowTraffic hook is running (a failing hook rolls it back)',
  'rolling-back': 'it is rolling back (all traffic to the baseline)',
};

/** Statuses before any traffic moved: SetWeight reads a pending abort before it moves any. */
const BEFORE_TRAFFIC: ReadonlySet<RolloutRecord['status']> = new Set(['planning', 'planned']);

/** Leaves a request for the rollout's next check, after checking that it applies. */
export async function act(
  action: Act,
  found: Found,
  records: RolloutRecords,
  options: ActOptions,
): Promise<Acted> {
  const { record } = found;
  const { replacing, takesPlaceOf } = checkApplies(action, found);
  const at = (options.now ?? new Date()).toISOString();
  if (action === 'pause') {
    await records.request(record.key, record.owner, {
      pause: { since: at, by: options.by, reason: options.reason },
    });
  } else if (action === 'resume') {
    await records.request(record.key, record.owner, { resume: true });
  } else {
    await records.request(record.key, record.owner, {
      command: {
        id: randomUUID(),
        action,
        reason: options.reason,
        by: options.by,
        at,
        ...(options.skipAnalysis ? { skipAnalysis: true } : {}),
      },
      ...(replacing ? { replacing } : {}),
    });
  }
  const replaced = takesPlaceOf
    ? ` (it replaces the pending ${takesPlaceOf.action} requested by ${takesPlaceOf.by} at ${takesPlaceOf.at})`
    : '';
  const budget = action === 'pause' ? pauseBudget(record) : undefined;
  const left = budget
    ? `; up to ${budget.left} minute(s) of pause left (gates.maxPauseMinutes, for the whole rollout), then it rolls back`
    : '';
  return {
    action,
    rollout: record.label,
    owner: record.owner,
    message: `${record.label}: ${WORDS[action]}${replaced}${left}`,
  };
}

const WORDS: Record<Act, string> = {
  abort: 'abort requested; the next check rolls back (within one check interval)',
  promote: 'promotion requested; the next check promotes unless it fails',
  approve: 'approved; the next check goes on',
  reject: 'rejected; the next check rolls back',
  pause: 'paused; checks continue, a failing one still rolls back; `fledge resume` goes on',
  resume: 'resumed; the next check goes on',
};

/** What `fledge status` shows of one rollout. */
export interface Status {
  rollout: string;
  key: string;
  status: RolloutRecord['status'];
  owner: string;
  execution: ExecutionState['status'];
  since: string;
  updatedAt: string;
  weight: number;
  step?: { n: number; of: number } | undefined;
  lastCheck?: RolloutRecord['lastCheck'];
  gate?: RolloutRecord['gate'];
  paused?: OperatorRequests['pause'];
  pending?: { action: string; by: string; at: string } | undefined;
  outcome?: RolloutRecord['outcome'];
  /** A release's targets, each as its record says (the release's step and checks are above). */
  targets?: Array<{ rollout: string; key: string; status: RolloutRecord['status']; weight: number }>;
}

export function statusOf({ record, requests, execution, others }: Found): Status {
  const release = record.release;
  const members = others ? [record, ...others] : [record];
  return {
    rollout: release
      ? `release ${release.name ?? record.owner} (${release.keys.length} targets)`
      : record.label,
    key: record.key,
    status: record.status,
    owner: record.owner,
    execution: execution.status,
    since: record.since,
    updatedAt: record.updatedAt,
    weight: record.traffic?.weight ?? 0,
    ...(record.step ? { step: { n: record.step.index + 1, of: record.step.of } } : {}),
    ...(record.lastCheck ? { lastCheck: record.lastCheck } : {}),
    ...(record.gate ? { gate: record.gate } : {}),
    ...(requests.pause ? { paused: requests.pause } : {}),
    // A command a check applied whose clear was lost is not pending.
    ...(requests.command && !record.handled?.includes(requests.command.id)
      ? { pending: { action: requests.command.action, by: requests.command.by, at: requests.command.at } }
      : {}),
    ...(record.outcome ? { outcome: record.outcome } : {}),
    ...(release
      ? {
          targets: members.map((m) => ({
            rollout: m.label,
            key: m.key,
            status: m.status,
            weight: m.traffic?.weight ?? 0,
          })),
        }
      : {}),
  };
}

/** A status as lines a person reads. */
export function describeStatus(s: Status): string[] {
  // The record still says where the steps left it (baking, shifting…), but no step runs any more.
  const orphaned = isActive(s.status) && s.execution !== 'RUNNING' && s.execution !== 'UNKNOWN';
  const where = orphaned
    ? `its execution has ended (${s.execution}) without finishing the rollout`
    : s.paused && isActive(s.status)
      ? `paused (${s.status})`
      : s.status;
  const lines = [
    `${s.rollout}: ${where}${isActive(s.status) ? `, ${s.weight}% on the canary` : ''}${s.step ? `, step ${s.step.n} of ${s.step.of}` : ''}`,
    // Step Functions cannot say how a local run stands (its execution lives in a process): say what it is.
    `  execution ${s.owner} (${isLocalRun(s.owner) ? 'a local run, fledge run' : s.execution}), since ${s.since}, updated ${s.updatedAt}`,
  ];
  if (orphaned) {
    lines.push(
      '  traffic stays as last set until fledge recovery restores the baseline (within minutes; `Canary Recovery Failed` if it cannot), or run `fledge recover`',
    );
  }
  if (s.lastCheck) {
    lines.push(
      `  last check (${s.lastCheck.at}): ${s.lastCheck.verdict}, next ${s.lastCheck.action}: ${s.lastCheck.reason}`,
    );
  }
  if (s.gate)
    lines.push(`  waiting at the ${s.gate.id} gate since ${s.gate.openedAt}: fledge approve / fledge reject`);
  if (s.paused) {
    const step = s.step ? ` at step ${s.step.n} of ${s.step.of}` : '';
    lines.push(
      `  paused by ${s.paused.by} since ${s.paused.since}: ${s.paused.reason}. The next check holds${step}: the bake goes on, but the rollout neither advances nor promotes until \`fledge resume\`; a failing check still rolls back`,
    );
  }
  if (s.pending)
    lines.push(`  ${s.pending.action} requested by ${s.pending.by} at ${s.pending.at}, for the next check`);
  if (s.outcome) lines.push(`  ${s.outcome.outcome} at ${s.outcome.at}: ${s.outcome.reason}`);
  for (const t of s.targets ?? [])
    lines.push(`  ${t.rollout}: ${t.status}${isActive(t.status) ? `, ${t.weight}% on the canary` : ''}`);
  return lines;
}

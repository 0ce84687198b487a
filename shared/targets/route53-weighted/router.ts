import {
  type Change,
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { route53Client } from '../../aws/clients';
import { bareZoneId, canonicalName } from '../../core/dns-name';
import {
  awsCall,
  ChangeRejectedError,
  InvalidInputError,
  TrafficConflictError,
  WeightVerificationError,
} from '../../core/errors';
import type { Applied, LiveSplit, TrafficContext, TrafficRouter } from '../../core/ports';
import type { Route53WeightedTarget } from '../../core/schema';
import { closestWeights, MAX_WEIGHT, shareOf } from './shares';

/** Both records as fledge first read them; rollback restores the stable one from here. */
interface Snapshot {
  stable: ResourceRecordSet;
  canary: ResourceRecordSet;
}

interface Pair {
  stable: ResourceRecordSet;
  canary: ResourceRecordSet;
}

/** What one read of the zone found for the target's name and type. */
interface Read {
  stable?: ResourceRecordSet;
  canary?: ResourceRecordSet;
  /** Other weighted records of the same name and type: with a weight, they take a share fledge does not count. */
  others: ResourceRecordSet[];
}

export interface Route53RouterOptions {
  sleep?: (ms: number) => Promise<void>;
  /** Attempts per call on PriorRequestNotComplete and throttling, before the state machine retries. */
  attempts?: number;
  /**
   * How long to wait for a change to reach INSYNC inside one invocation. Past it the step goes on: the
   * records read back as written, and the bake that follows outlasts propagation (Plan makes every
   * step at least TTL + margin long).
   */
  maxSyncMs?: number;
}

/** Alias records have no TTL of their own; an AWS resource answers with its own, 60 s for ELB and S3. */
const ALIAS_TTL_SECONDS = 60;

/**
 * A pair of weighted records of one name and type: the stable fleet's and the canary's.
 *
 * Both weights change in one ChangeResourceRecordSets batch (atomic). The batch DELETEs each record
 * exactly as fledge read it and CREATEs it with the new weight, so Route 53 itself rejects the batch if
 * someone changed a record since (a stale DELETE). Values, TTL, health check and alias target are kept;
 * finalize moves the canary record's values and health check together into the stable record.
 * Every other record of the zone is left alone. Weights are never all zero, which would split equally.
 */
export class Route53WeightedRouter implements TrafficRouter {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly attempts: number;
  private readonly maxSyncMs: number;

  constructor(
    private readonly target: Route53WeightedTarget,
    private readonly client: Route53Client = route53Client(),
    options: Route53RouterOptions = {},
  ) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.attempts = options.attempts ?? 3;
    this.maxSyncMs = options.maxSyncMs ?? 20_000;
  }

  async prepare(
    check?: (context: TrafficContext) => void,
    options: { readOnly?: boolean } = {},
  ): Promise<TrafficContext> {
    const read = await this.readPair().catch((error: Error) => {
      if (error.name === 'NoSuchHostedZone') {
        throw new InvalidInputError(
          `target.hostedZoneId '${this.target.hostedZoneId}' is not a hosted zone in this account`,
          { cause: error },
        );
      }
      throw error;
    });
    if (!read.stable || !read.canary) await this.explainMissing();
    const { stable, canary } = this.requirePair(read);
    const sharing = sharingOthers(read);
    if (sharing.length > 0) {
      throw new InvalidInputError(
        `${this.target.recordName} ${this.target.recordType} has other weighted records besides ` +
          `'${this.target.stable}' and '${this.target.canary}': ${sharing.map((r) => `'${r.SetIdentifier}' (weight ${r.Weight})`).join(', ')}. ` +
          'They take a share of the traffic that fledge neither sets nor counts; set their weight to 0 (Route 53 ' +
          'then answers with them only when every record with a weight is unhealthy), or delete them',
      );
    }
    if ((canary.Weight ?? 0) > 0) {
      throw new InvalidInputError(
        `the canary record '${this.target.canary}' already takes ${round(shareOf(stable.Weight ?? 0, canary.Weight ?? 0))}% ` +
          'of the traffic; finish or roll back that release (or set its weight to 0) first',
      );
    }
    if ((stable.Weight ?? 0) === 0) {
      throw new InvalidInputError(
        `the stable record '${this.target.stable}' has weight 0, so it serves no traffic to compare with`,
      );
    }
    const wanted = this.withCanaryValue(canary);
    if (canary.HealthCheckId && !sameRecord(wanted, canary)) {
      // The health check names the endpoint it checks, not the record's values: after the new values it
      // would go on checking the old fleet while traffic moves to the new one, and finalize would hand it
      // to the stable record, which would then serve the new fleet health-checked by the old one.
      throw new InvalidInputError(
        `target.canaryValue: the canary record '${this.target.canary}' has HealthCheckId ` +
          `'${canary.HealthCheckId}', which fledge would keep while replacing the values it checks. Point the ` +
          'canary record and its health check at the new fleet yourself and leave out canaryValue, or remove ' +
          "the canary record's health check (docs/ROUTE53.md)",
      );
    }
    const context: TrafficContext = {
      baseline: this.target.stable,
      canary: this.target.canary,
      weight: 0,
      ttlSeconds: Math.max(await this.ttlOf(stable), await this.ttlOf(wanted)),
    };
    check?.(context);
    let pair: Pair = { stable, canary };
    if (!sameRecord(wanted, canary) && !options.readOnly) {
      // The new fleet's values go in at weight 0, before any traffic moves.
      pair = await this.apply({ stable, canary }, { stable, canary: wanted }).catch((error: Error) => {
        if (error.name !== 'ChangeRejectedError') throw error;
        throw new InvalidInputError(`target.canaryValue: ${error.message}`, { cause: error });
      });
    }
    return {
      ...context,
      revision: fingerprint(pair),
      snapshot: { stable, canary: pair.canary } satisfies Snapshot,
    };
  }

  async setWeight(weight: number, context: TrafficContext): Promise<Applied> {
    const read = await this.readPair();
    const current = this.requirePair(read);
    const weights = closestWeights(weight);
    const desired = this.weighted(current, weights.stable, weights.canary);
    if (samePair(current, desired)) return this.applied(current, 'already applied');
    this.assertUnchanged(read, current, context);
    const written = await this.apply(current, desired);
    return this.applied(written, `${this.describe(written)} (asked ${weight}%)`);
  }

  async promote(context: TrafficContext): Promise<Applied> {
    const snapshot = context.snapshot as Snapshot;
    const read = await this.readPair();
    let current = this.requirePair(read);
    const full = Math.max(1, snapshot.stable.Weight ?? MAX_WEIGHT);
    const finalized: Pair = {
      stable: { ...withRoutingOf(snapshot.stable, current.canary), Weight: full },
      canary: { ...current.canary, Weight: 0 },
    };
    if (this.target.finalize && samePair(current, finalized)) {
      return { weight: 100, revision: fingerprint(current), detail: 'already promoted and finalized' };
    }
    const allCanary = this.weighted(current, 0, full);
    if (!samePair(current, allCanary)) {
      this.assertUnchanged(read, current, context);
      current = await this.apply(current, allCanary);
    }
    if (!this.target.finalize) {
      return {
        weight: 100,
        revision: fingerprint(current),
        detail: `${this.describe(current)}; not finalized`,
      };
    }
    // One batch: the stable record takes the new fleet (and its health check) at full weight; the canary
    // record idles at 0.
    const done = await this.apply(current, finalized);
    return {
      weight: 100,
      revision: fingerprint(done),
      detail: `finalized: '${this.target.stable}' now serves the new fleet, '${this.target.canary}' is at weight 0`,
    };
  }

  async rollback(context: TrafficContext): Promise<Applied> {
    const snapshot = context.snapshot as Snapshot;
    const current = this.requirePair(await this.readPair());
    const desired: Pair = {
      stable: snapshot.stable,
      canary: { ...withValuesOf(current.canary, snapshot.canary), Weight: 0 },
    };
    if (samePair(current, desired)) return this.applied(current, 'already on the stable fleet');
    // Anything this rollout could have written may be rolled back; anything else belongs to someone else.
    // The stable record is as first read until finalize, then the canary record's routing; before this
    // version, finalize kept the stable record's own health check.
    const ours =
      sameValues(current.canary, snapshot.canary) &&
      [snapshot.stable, snapshot.canary, withValuesOf(snapshot.stable, snapshot.canary)].some((written) =>
        sameValues(current.stable, written),
      );
    if (!ours) {
      throw new TrafficConflictError(
        `records ${this.target.recordName} ${this.target.recordType} now hold values fledge did not write ` +
          `(${this.describe(current)}); they were left as they are. Check who changed them before acting.`,
      );
    }
    const written = await this.apply(current, desired);
    return this.applied(written, `rolled back: ${this.describe(written)}`);
  }

  async inspect(): Promise<LiveSplit> {
    const read = await this.readPair();
    const pair = this.requirePair(read);
    const summary = `${this.target.recordName}: ${this.describe(pair)}`;
    const stable = pair.stable.Weight ?? 0;
    const canary = pair.canary.Weight ?? 0;
    if (canary === 0) return { summary, split: false };
    if (sharingOthers(read).length > 0) {
      return { summary, split: true, ambiguity: 'other weighted records share the name and type' };
    }
    if (stable === 0) {
      return {
        summary,
        split: false,
        ambiguity: `the canary record takes all the traffic; if that is a finished promotion, finalize it by hand (docs/ROUTE53.md)`,
      };
    }
    // Without the records as first read, the stable record keeps its weight and the canary goes to 0.
    return {
      summary,
      split: true,
      context: {
        baseline: this.target.stable,
        canary: this.target.canary,
        weight: round(shareOf(stable, canary)),
        revision: fingerprint(pair),
        snapshot: { stable: pair.stable, canary: pair.canary } satisfies Snapshot,
      },
    };
  }

  /** One atomic batch from `from` (as read) to `to`, then INSYNC, then a read-back check. */
  private async apply(from: Pair, to: Pair): Promise<Pair> {
    const changes: Change[] = [];
    for (const side of ['stable', 'canary'] as const) {
      if (sameRecord(from[side], to[side])) continue;
      changes.push({ Action: 'DELETE', ResourceRecordSet: clean(from[side]) });
      changes.push({ Action: 'CREATE', ResourceRecordSet: clean(to[side]) });
    }
    if ((to.stable.Weight ?? 0) + (to.canary.Weight ?? 0) === 0) {
      throw new RangeError('refusing to set every weight to zero: Route 53 would then split traffic equally');
    }
    let changeId: string | undefined;
    try {
      const result = await this.call('ChangeResourceRecordSets', () =>
        this.client.send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: this.target.hostedZoneId,
            ChangeBatch: { Comment: 'fledge canary', Changes: changes },
          }),
        ),
      );
      changeId = result.ChangeInfo?.Id;
    } catch (error) {
      if ((error as Error).name !== 'InvalidChangeBatch') throw error;
      return this.refused(error as Error, from, to);
    }
    if (changeId) await this.waitInSync(changeId);
    const after = this.requirePair(await this.readPair());
    if (!samePair(after, to)) {
      throw new WeightVerificationError(
        `records ${this.target.recordName} should be ${this.describe(to)} but read back as ${this.describe(after)}`,
      );
    }
    return after;
  }

  /**
   * Route 53 refused a batch. The records say why: already as the batch would leave them, it was this
   * batch landing once and its resend (after a lost response) failing on the now-stale DELETE; unchanged,
   * Route 53 refused its content; anything else, someone changed them in between: a conflict.
   */
  private async refused(error: Error, from: Pair, to: Pair): Promise<Pair> {
    const now = this.requirePair(await this.readPair());
    if (samePair(now, to)) return now;
    if (samePair(now, from)) {
      throw new ChangeRejectedError(
        `Route 53 refused the change to ${this.target.recordName}: ${error.message}`,
        {
          cause: error,
        },
      );
    }
    throw new TrafficConflictError(
      `records ${this.target.recordName} ${this.target.recordType} changed while fledge was updating them: ` +
        `now ${this.describe(now)}, which fledge did not write; Route 53 refused the stale batch ` +
        `(${error.message}). fledge stopped without writing.`,
      { cause: error },
    );
  }

  private async waitInSync(id: string): Promise<void> {
    const deadline = Date.now() + this.maxSyncMs;
    for (let attempt = 0; ; attempt++) {
      const change = await this.call('GetChange', () => this.client.send(new GetChangeCommand({ Id: id })));
      if (change.ChangeInfo?.Status === 'INSYNC' || Date.now() > deadline) return;
      await this.sleep(Math.min(jittered(attempt, 1000, 5_000), Math.max(0, deadline - Date.now())));
    }
  }

  private async readPair(): Promise<Read> {
    const found: Read = { others: [] };
    for (const record of await this.recordsNamed(this.target.recordName)) {
      if (record.SetIdentifier === this.target.stable) found.stable = record;
      else if (record.SetIdentifier === this.target.canary) found.canary = record;
      else if (record.Weight !== undefined) found.others.push(record);
    }
    return found;
  }

  /**
   * Every record of this name and the target's type (or of any type: `anyType`), across the pages they
   * take, up to `maxPages`.
   */
  private async recordsNamed(
    recordName: string,
    { anyType = false, maxPages = 100 } = {},
  ): Promise<ResourceRecordSet[]> {
    const name = canonicalName(recordName);
    const type = anyType ? undefined : this.target.recordType;
    const found: ResourceRecordSet[] = [];
    let start: { name?: string; type?: string; id?: string } = { name: recordName, type };
    for (let page = 0; page < maxPages; page++) {
      const result = await this.call('ListResourceRecordSets', () =>
        this.client.send(
          new ListResourceRecordSetsCommand({
            HostedZoneId: this.target.hostedZoneId,
            StartRecordName: start.name,
            StartRecordType: start.type as never,
            StartRecordIdentifier: start.id,
          }),
        ),
      );
      for (const record of result.ResourceRecordSets ?? []) {
        if (canonicalName(record.Name ?? '') === name && (type === undefined || record.Type === type))
          found.push(record);
      }
      const pastName = result.NextRecordName && canonicalName(result.NextRecordName) !== name;
      const pastType = type !== undefined && result.NextRecordType && result.NextRecordType !== type;
      if (!result.IsTruncated || pastName || pastType) break;
      start = { name: result.NextRecordName, type: result.NextRecordType, id: result.NextRecordIdentifier };
    }
    return found;
  }

  /**
   * How long resolvers keep a record's answer. An alias has no TTL of its own: Route 53 answers with
   * the TTL of the record it points at when that record is in the same zone (the longest, if several
   * share its name), and with the AWS resource's own otherwise (taken as 60 s).
   */
  private async ttlOf(record: ResourceRecordSet, depth = 0): Promise<number> {
    const alias = record.AliasTarget;
    if (!alias) return record.TTL ?? 0;
    if (depth >= 4 || bareZoneId(alias.HostedZoneId ?? '') !== bareZoneId(this.target.hostedZoneId)) {
      return ALIAS_TTL_SECONDS;
    }
    const targets = await this.recordsNamed(alias.DNSName ?? '');
    if (targets.length === 0) return ALIAS_TTL_SECONDS;
    const ttls = await Promise.all(targets.map((t) => this.ttlOf(t, depth + 1)));
    return Math.max(...ttls);
  }

  /**
   * The pair is not there as the target names it: say what the name does hold (records of another type,
   * such as CNAMEs under an A target, or other SetIdentifiers), so the fix is clear.
   */
  private async explainMissing(): Promise<void> {
    const held = (await this.recordsNamed(this.target.recordName, { anyType: true, maxPages: 10 })).map(
      (record) => `${record.Type}${record.SetIdentifier === undefined ? '' : ` '${record.SetIdentifier}'`}`,
    );
    if (held.length === 0) return;
    const missing = [this.target.stable, this.target.canary].filter(
      (id) => !held.includes(`${this.target.recordType} '${id}'`),
    );
    throw new InvalidInputError(
      `no ${this.target.recordType} record ${this.target.recordName} with SetIdentifier '${missing[0]}' in zone ` +
        `${this.target.hostedZoneId}; ${this.target.recordName} has ${held.slice(0, 10).join(', ')}${held.length > 10 ? ', …' : ''}. Check target.recordType, ` +
        'target.stable and target.canary, or create both weighted records first (docs/ROUTE53.md)',
    );
  }

  private requirePair(read: Read): Pair {
    for (const side of ['stable', 'canary'] as const) {
      const record = read[side];
      const id = this.target[side];
      if (!record) {
        throw new InvalidInputError(
          `no ${this.target.recordType} record ${this.target.recordName} with SetIdentifier '${id}' in zone ` +
            `${this.target.hostedZoneId}; create both weighted records first (docs/ROUTE53.md)`,
        );
      }
      if (record.Weight === undefined) {
        throw new InvalidInputError(`record '${id}' of ${this.target.recordName} is not a weighted record`);
      }
    }
    return { stable: read.stable as ResourceRecordSet, canary: read.canary as ResourceRecordSet };
  }

  /** The canary record with the new fleet's values from the input, if any. */
  private withCanaryValue(canary: ResourceRecordSet): ResourceRecordSet {
    const value = this.target.canaryValue;
    if (value === undefined) return canary;
    const { ResourceRecords: _r, AliasTarget: _a, TTL, ...rest } = canary;
    if (Array.isArray(value)) {
      if (this.target.recordType === 'CNAME' && value.length !== 1) {
        throw new InvalidInputError('target.canaryValue: a CNAME record takes exactly one value');
      }
      return { ...rest, TTL: TTL ?? ALIAS_TTL_SECONDS, ResourceRecords: value.map((Value) => ({ Value })) };
    }
    if (this.target.recordType === 'CNAME') {
      throw new InvalidInputError('target.canaryValue: an alias target needs an A or AAAA record');
    }
    return {
      ...rest,
      AliasTarget: {
        DNSName: value.dnsName,
        HostedZoneId: value.hostedZoneId,
        EvaluateTargetHealth: value.evaluateTargetHealth,
      },
    };
  }

  private weighted(pair: Pair, stable: number, canary: number): Pair {
    return { stable: { ...pair.stable, Weight: stable }, canary: { ...pair.canary, Weight: canary } };
  }

  private assertUnchanged(read: Read, current: Pair, context: TrafficContext): void {
    const sharing = sharingOthers(read);
    if (sharing.length > 0) {
      throw new TrafficConflictError(
        `someone gave other weighted records of ${this.target.recordName} ${this.target.recordType} a weight during the rollout ` +
          `(${sharing.map((r) => `'${r.SetIdentifier}' weight ${r.Weight}`).join(', ')}); they take a share ` +
          'fledge does not set. fledge stopped without writing.',
      );
    }
    if (context.revision !== undefined && fingerprint(current) !== context.revision) {
      throw new TrafficConflictError(
        `records ${this.target.recordName} were changed by someone else during the rollout: now ` +
          `${this.describe(current)}. fledge stopped without writing.`,
      );
    }
  }

  private applied(pair: Pair, detail: string): Applied {
    const weight = round(shareOf(pair.stable.Weight ?? 0, pair.canary.Weight ?? 0));
    return { weight, revision: fingerprint(pair), detail: `${this.target.recordName}: ${detail}` };
  }

  private describe(pair: Pair): string {
    const s = pair.stable.Weight ?? 0;
    const c = pair.canary.Weight ?? 0;
    return `${this.target.stable}=${s}, ${this.target.canary}=${c} (${round(shareOf(s, c))}% canary)`;
  }

  /**
   * Retries what Route 53 asks to retry (PriorRequestNotComplete, throttling), with jittered backoff, on
   * top of the SDK's own attempts, before giving up transiently. Timeouts and network errors were
   * already retried by the SDK and go straight to the state machine.
   */
  private async call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await awsCall(`route53:${action} on ${this.target.hostedZoneId}`, fn);
      } catch (error) {
        const cause = ((error as Error).cause as Error | undefined) ?? (error as Error);
        if (!RETRIED_HERE.has(cause.name) || attempt >= this.attempts) throw error;
        await this.sleep(jittered(attempt, 500, 8_000));
      }
    }
  }
}

const RETRIED_HERE = new Set(['PriorRequestNotComplete', 'Throttling', 'ThrottlingException']);

/**
 * The other weighted records that take a share. One at weight 0 takes none while a record with a weight
 * is healthy (fledge always leaves one of its pair a weight), so it is left alone.
 */
function sharingOthers(read: Read): ResourceRecordSet[] {
  return read.others.filter((r) => (r.Weight ?? 0) > 0);
}

/** What Route 53 accepts back: an alias record has no TTL (some emulators report 0). */
function clean(record: ResourceRecordSet): ResourceRecordSet {
  if (!record.AliasTarget) return record;
  const { TTL: _ttl, ResourceRecords: _records, ...rest } = record;
  return rest;
}

function withValuesOf(record: ResourceRecordSet, source: ResourceRecordSet): ResourceRecordSet {
  const { ResourceRecords: _r, AliasTarget: _a, TTL: _t, ...rest } = record;
  return {
    ...rest,
    ...(source.AliasTarget
      ? { AliasTarget: source.AliasTarget }
      : { TTL: source.TTL, ResourceRecords: source.ResourceRecords }),
  };
}

/**
 * `record` routing as `source` does: its values and its health check, which checks the fleet those values
 * name. A finalized stable record is the canary record under the stable SetIdentifier.
 */
function withRoutingOf(record: ResourceRecordSet, source: ResourceRecordSet): ResourceRecordSet {
  const { HealthCheckId: _h, ...rest } = withValuesOf(record, source);
  return source.HealthCheckId ? { ...rest, HealthCheckId: source.HealthCheckId } : rest;
}

function essentials(record: ResourceRecordSet) {
  const alias = record.AliasTarget;
  return {
    weight: record.Weight ?? null,
    ttl: alias ? null : (record.TTL ?? null),
    values: (record.ResourceRecords ?? []).map((r) => r.Value).sort(),
    alias: alias
      ? {
          dns: canonicalName(alias.DNSName ?? ''),
          zone: alias.HostedZoneId,
          health: alias.EvaluateTargetHealth ?? false,
        }
      : null,
    healthCheck: record.HealthCheckId ?? null,
  };
}

function sameValues(a: ResourceRecordSet, b: ResourceRecordSet): boolean {
  const { weight: _a, ...x } = essentials(a);
  const { weight: _b, ...y } = essentials(b);
  return JSON.stringify(x) === JSON.stringify(y);
}

function sameRecord(a: ResourceRecordSet, b: ResourceRecordSet): boolean {
  return JSON.stringify(essentials(a)) === JSON.stringify(essentials(b));
}

function samePair(a: Pair, b: Pair): boolean {
  return sameRecord(a.stable, b.stable) && sameRecord(a.canary, b.canary);
}

function fingerprint(pair: Pair): string {
  return JSON.stringify({ stable: essentials(pair.stable), canary: essentials(pair.canary) });
}

function jittered(attempt: number, baseMs: number, capMs: number): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** attempt);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

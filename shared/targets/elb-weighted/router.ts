import {
  type Action,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
  type TargetGroupTuple,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { elbClient } from '../../aws/clients';
import { awsCall, InvalidInputError, TrafficConflictError, WeightVerificationError } from '../../core/errors';
import type { Applied, LiveSplit, TrafficContext, TrafficRouter } from '../../core/ports';
import { targetGroupName } from './arns';
import type { ElbWeightedTarget } from './schema';
import { closestWeights, shareOf } from './shares';

/** ELB's own limit on target groups in one forward action. */
const MAX_TARGET_GROUPS = 5;

/** Action types fledge can send back exactly as it read them (see `writable`). */
const WRITABLE = new Set([
  'forward',
  'redirect',
  'fixed-response',
  'authenticate-cognito',
  'authenticate-oidc',
]);

/** Each target group's weight as fledge first read them; rollback restores these. */
interface Snapshot {
  weights: Record<string, number>;
}

/** One read of the action list that holds the target's forward action. */
interface Read {
  actions: Action[];
  /** Index of the forward action in `actions`. */
  forward: number;
  groups: TargetGroupTuple[];
}

export interface ElbRouterOptions {
  sleep?: (ms: number) => Promise<void>;
  /** Attempts per call on throttling, before the state machine retries. */
  attempts?: number;
  /** Reads after a write until the weights show, before the write counts as unverified. */
  readBackAttempts?: number;
}

/**
 * The weighted target groups of one forward action: the listener's default actions, or one rule's.
 *
 * ModifyRule and ModifyListener replace the whole action list, so fledge sends back every action exactly
 * as read (other target groups and their weights, the stickiness config, authenticate, redirect and
 * fixed-response actions, their order) with only the two weights changed. ELB has no revision check:
 * before each write the weights read are compared with what fledge last wrote (a difference is someone
 * else's change, a TrafficConflictError), and after each write they are read back until live; a weight
 * the read-back does not show is never reported.
 */
export class ElbWeightedRouter implements TrafficRouter {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly attempts: number;
  private readonly readBackAttempts: number;

  constructor(
    private readonly target: ElbWeightedTarget,
    private readonly client: ElasticLoadBalancingV2Client = elbClient(),
    options: ElbRouterOptions = {},
  ) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.attempts = options.attempts ?? 3;
    this.readBackAttempts = options.readBackAttempts ?? 6;
  }

  async prepare(check?: (context: TrafficContext) => void): Promise<TrafficContext> {
    const read = await this.read().catch((error: Error) => {
      throw this.notFound(error) ?? error;
    });
    this.assertWritable(read);
    this.assertPairAlone(read);
    await this.assertCanaryHealthy();
    const sticky = read.actions[read.forward]?.ForwardConfig?.TargetGroupStickinessConfig;
    const context: TrafficContext = {
      baseline: this.target.stable,
      canary: this.target.canary,
      weight: 0,
      revision: fingerprint(read),
      snapshot: { weights: weightsOf(read) } satisfies Snapshot,
      ...(sticky?.Enabled
        ? {
            ...(sticky.DurationSeconds ? { shareLagSeconds: sticky.DurationSeconds } : {}),
            note:
              `target group stickiness is on (${sticky.DurationSeconds ?? '?'} s): weights apply to new sessions ` +
              'only, so each step reaches its share as sessions started before it expire',
          }
        : {}),
    };
    check?.(context);
    return context;
  }

  async setWeight(weight: number, context: TrafficContext): Promise<Applied> {
    const read = await this.read();
    const pair = closestWeights(weight);
    const desired = this.withWeights(read, { stable: pair.stable, canary: pair.canary });
    if (sameWeights(read, desired)) return this.applied(read, 'already applied');
    this.assertUnchanged(read, context);
    const written = await this.write(desired);
    return this.applied(written, `${this.describe(written)} (asked ${weight}%)`);
  }

  async promote(context: TrafficContext): Promise<Applied> {
    const snapshot = context.snapshot as Snapshot;
    const read = await this.read();
    const full = Math.max(1, snapshot.weights[this.target.stable] ?? 1);
    const desired = this.withWeights(read, { stable: 0, canary: full });
    if (sameWeights(read, desired)) return this.applied(read, 'already promoted');
    this.assertUnchanged(read, context);
    const written = await this.write(desired);
    return this.applied(written, `promoted: ${this.describe(written)}`);
  }

  async rollback(context: TrafficContext): Promise<Applied> {
    const snapshot = context.snapshot as Snapshot;
    const read = await this.read();
    const desired = this.withWeights(read, {
      stable: Math.max(1, snapshot.weights[this.target.stable] ?? 1),
      canary: snapshot.weights[this.target.canary] ?? 0,
    });
    if (sameWeights(read, desired)) return this.applied(read, 'already on the stable target group');
    // fledge only ever moves the two weights: other target groups or members that differ from the
    // snapshot are someone else's change, and a rollback would overwrite it.
    const others = (r: Read | Snapshot) =>
      JSON.stringify(
        Object.entries('weights' in r ? r.weights : weightsOf(r))
          .filter(([arn]) => arn !== this.target.stable && arn !== this.target.canary)
          .sort(),
      );
    if (others(read) !== others(snapshot)) {
      throw new TrafficConflictError(
        `the forward action of ${this.where()} now holds target groups fledge did not write ` +
          `(${this.describe(read)}); it was left as it is. Check who changed it before acting.`,
      );
    }
    const written = await this.write(desired);
    return this.applied(written, `rolled back: ${this.describe(written)}`);
  }

  async inspect(): Promise<LiveSplit> {
    const read = await this.read();
    const weights = weightsOf(read);
    const stable = weights[this.target.stable];
    const canary = weights[this.target.canary];
    const summary = `${this.where()}: ${this.describe(read)}`;
    if (stable === undefined || canary === undefined) {
      return { summary, split: false, ambiguity: 'the forward action no longer holds both target groups' };
    }
    if (canary === 0) return { summary, split: false };
    if (this.othersWeighted(read).length > 0) {
      return {
        summary,
        split: true,
        ambiguity: 'other target groups with a weight share the forward action',
      };
    }
    if (stable === 0) {
      return { summary, split: false, ambiguity: 'the canary target group takes all the traffic' };
    }
    // Without the weights as first read, the stable group keeps its weight and the canary goes to 0.
    return {
      summary,
      split: true,
      context: {
        baseline: this.target.stable,
        canary: this.target.canary,
        weight: round(shareOf(canary, stable + canary)),
        revision: fingerprint(read),
        snapshot: { weights: { ...weights, [this.target.canary]: 0 } } satisfies Snapshot,
      },
    };
  }

  /** The action list that holds the forward action, as ELB describes it now. */
  private async read(): Promise<Read> {
    const actions = await this.readActions();
    const forward = actions.findIndex((a) => a.Type === 'forward');
    const action = actions[forward];
    if (!action) {
      throw new InvalidInputError(
        `${this.where()} has no forward action (actions: ${actions.map((a) => a.Type).join(', ') || 'none'}); ` +
          `point target.${this.target.ruleArn ? 'ruleArn' : 'listenerArn'} at the forward action that holds both target groups`,
      );
    }
    const groups =
      action.ForwardConfig?.TargetGroups ??
      (action.TargetGroupArn ? [{ TargetGroupArn: action.TargetGroupArn, Weight: 1 }] : []);
    return { actions, forward, groups };
  }

  private async readActions(): Promise<Action[]> {
    const { ruleArn, listenerArn } = this.target;
    if (ruleArn) {
      const out = await this.call('DescribeRules', () =>
        this.client.send(new DescribeRulesCommand({ RuleArns: [ruleArn] })),
      );
      return out.Rules?.[0]?.Actions ?? [];
    }
    const out = await this.call('DescribeListeners', () =>
      this.client.send(new DescribeListenersCommand({ ListenerArns: [listenerArn] })),
    );
    return out.Listeners?.[0]?.DefaultActions ?? [];
  }

  /** Writes the whole action list and reads it back until the weights show. */
  private async write(desired: Read): Promise<Read> {
    const actions = desired.actions.map((action, i) =>
      writable(action, i === desired.forward ? desired.groups : undefined),
    );
    const { ruleArn, listenerArn } = this.target;
    if (ruleArn) {
      await this.call('ModifyRule', () =>
        this.client.send(new ModifyRuleCommand({ RuleArn: ruleArn, Actions: actions })),
      );
    } else {
      await this.call('ModifyListener', () =>
        this.client.send(new ModifyListenerCommand({ ListenerArn: listenerArn, DefaultActions: actions })),
      );
    }
    return this.readBack(desired);
  }

  /**
   * Reads until the weights written show. ELB's API is eventually consistent; a read that keeps showing
   * other weights is a WeightVerificationError, and a read that fails (throttled) throws: no weight is
   * ever reported that a read did not show.
   */
  private async readBack(desired: Read): Promise<Read> {
    let last: Read | undefined;
    for (let attempt = 1; attempt <= this.readBackAttempts; attempt++) {
      last = await this.read();
      if (sameWeights(last, desired)) return last;
      await this.sleep(Math.min(4_000, 250 * 2 ** attempt));
    }
    throw new WeightVerificationError(
      `${this.where()}: wrote ${this.describe(desired)}, but ELB still reads ${last ? this.describe(last) : 'nothing'} ` +
        `after ${this.readBackAttempts} reads`,
    );
  }

  private withWeights(read: Read, weights: { stable: number; canary: number }): Read {
    const groups = read.groups.map((g) =>
      g.TargetGroupArn === this.target.stable
        ? { ...g, Weight: weights.stable }
        : g.TargetGroupArn === this.target.canary
          ? { ...g, Weight: weights.canary }
          : g,
    );
    return { ...read, groups };
  }

  /** Plan refuses an action list it cannot send back unchanged, or a forward action it cannot split. */
  private assertWritable(read: Read): void {
    const field = this.target.ruleArn ? 'target.ruleArn' : 'target.listenerArn';
    const unknown = read.actions.filter((a) => !WRITABLE.has(a.Type ?? ''));
    if (unknown.length > 0) {
      throw new InvalidInputError(
        `${field}: ${this.where()} has an action fledge cannot write back unchanged ` +
          `(${unknown.map((a) => a.Type).join(', ')}); ModifyRule/ModifyListener replace the whole list`,
      );
    }
    if (read.groups.length > MAX_TARGET_GROUPS) {
      throw new InvalidInputError(
        `${field}: the forward action has ${read.groups.length} target groups; ELB allows at most ${MAX_TARGET_GROUPS}`,
      );
    }
    for (const side of ['stable', 'canary'] as const) {
      if (!read.groups.some((g) => g.TargetGroupArn === this.target[side])) {
        throw new InvalidInputError(
          `target.${side}: target group '${targetGroupName(this.target[side])}' is not in the forward action of ` +
            `${this.where()} (it holds ${read.groups.map((g) => `'${targetGroupName(g.TargetGroupArn ?? '')}'`).join(', ') || 'none'}). ` +
            'Add both target groups to that forward action, the canary at weight 0, first (docs/ELB.md)',
        );
      }
    }
  }

  private assertPairAlone(read: Read): void {
    const others = this.othersWeighted(read);
    if (others.length > 0) {
      throw new InvalidInputError(
        `the forward action of ${this.where()} also sends traffic to ${others.map((g) => `'${targetGroupName(g.TargetGroupArn ?? '')}' (weight ${g.Weight})`).join(', ')}, ` +
          'a share fledge neither sets nor counts; set their weight to 0 or remove them first',
      );
    }
    const weights = weightsOf(read);
    const stable = weights[this.target.stable] ?? 0;
    const canary = weights[this.target.canary] ?? 0;
    if (canary > 0) {
      throw new InvalidInputError(
        `target.canary: target group '${targetGroupName(this.target.canary)}' already takes ` +
          `${round(shareOf(canary, stable + canary))}% of the traffic; finish or roll back that release (or set its weight to 0) first`,
      );
    }
    if (stable === 0) {
      throw new InvalidInputError(
        `target.stable: target group '${targetGroupName(this.target.stable)}' has weight 0, so it serves no traffic to compare with`,
      );
    }
  }

  private async assertCanaryHealthy(): Promise<void> {
    const name = targetGroupName(this.target.canary);
    const health = await this.call('DescribeTargetHealth', () =>
      this.client.send(new DescribeTargetHealthCommand({ TargetGroupArn: this.target.canary })),
    ).catch((error: Error) => {
      throw this.notFound(error) ?? error;
    });
    const states = (health.TargetHealthDescriptions ?? []).map((d) => d.TargetHealth?.State ?? 'unknown');
    if (!states.includes('healthy')) {
      throw new InvalidInputError(
        `target.canary: target group '${name}' has no healthy target ` +
          `(${states.length === 0 ? 'no targets registered' : states.join(', ')}); traffic sent to it would fail. ` +
          'Register the new fleet and wait for its health checks to pass',
      );
    }
  }

  private othersWeighted(read: Read): TargetGroupTuple[] {
    return read.groups.filter(
      (g) =>
        g.TargetGroupArn !== this.target.stable &&
        g.TargetGroupArn !== this.target.canary &&
        (g.Weight ?? 0) > 0,
    );
  }

  private assertUnchanged(read: Read, context: TrafficContext): void {
    if (context.revision !== undefined && fingerprint(read) !== context.revision) {
      throw new TrafficConflictError(
        `the forward action of ${this.where()} was changed by someone else during the rollout: now ` +
          `${this.describe(read)}. fledge stopped without writing.`,
      );
    }
  }

  private notFound(error: Error): InvalidInputError | undefined {
    const fields: Record<string, string> = {
      ListenerNotFoundException: 'target.listenerArn',
      ListenerNotFound: 'target.listenerArn',
      RuleNotFoundException: 'target.ruleArn',
      RuleNotFound: 'target.ruleArn',
      TargetGroupNotFoundException: 'target.canary',
      TargetGroupNotFound: 'target.canary',
    };
    const cause = (error.cause as Error | undefined) ?? error;
    const field = fields[cause.name];
    if (!field) return undefined;
    return new InvalidInputError(`${field}: ${cause.message || cause.name}`, { cause: error });
  }

  private applied(read: Read, detail: string): Applied {
    const weights = weightsOf(read);
    const total = read.groups.reduce((sum, g) => sum + (g.Weight ?? 0), 0);
    return {
      weight: round(shareOf(weights[this.target.canary] ?? 0, total)),
      revision: fingerprint(read),
      detail: `${this.where()}: ${detail}`,
    };
  }

  private describe(read: Read): string {
    const total = read.groups.reduce((sum, g) => sum + (g.Weight ?? 0), 0);
    const canary = weightsOf(read)[this.target.canary] ?? 0;
    const each = read.groups
      .map((g) => `${targetGroupName(g.TargetGroupArn ?? '')}=${g.Weight ?? 0}`)
      .join(', ');
    return `${each} (${round(shareOf(canary, total))}% canary)`;
  }

  private where(): string {
    return this.target.ruleArn ? `rule ${this.target.ruleArn}` : `listener ${this.target.listenerArn}`;
  }

  /** Retries throttling here, with jittered backoff, before giving up transiently to the state machine. */
  private async call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await awsCall(`elasticloadbalancing:${action} on ${this.where()}`, fn);
      } catch (error) {
        const cause = ((error as Error).cause as Error | undefined) ?? (error as Error);
        if (!RETRIED_HERE.has(cause.name) || attempt >= this.attempts) throw error;
        await this.sleep(Math.random() * Math.min(8_000, 500 * 2 ** attempt));
      }
    }
  }
}

const RETRIED_HERE = new Set(['Throttling', 'ThrottlingException']);

function weightsOf(read: Read): Record<string, number> {
  return Object.fromEntries(read.groups.map((g) => [g.TargetGroupArn ?? '', g.Weight ?? 0]));
}

/** What fledge compares before each write: every group's weight and the stickiness, as read. */
function fingerprint(read: Read): string {
  const sticky = read.actions[read.forward]?.ForwardConfig?.TargetGroupStickinessConfig;
  return JSON.stringify({
    weights: read.groups.map((g) => [g.TargetGroupArn, g.Weight ?? 0]),
    sticky: sticky ? [sticky.Enabled ?? false, sticky.DurationSeconds ?? null] : null,
  });
}

function sameWeights(a: Read, b: Read): boolean {
  return JSON.stringify(weightsOf(a)) === JSON.stringify(weightsOf(b));
}

/**
 * An action as ModifyRule/ModifyListener take it back: the forward action with its new weights (and no
 * TargetGroupArn, which ELB refuses beside a ForwardConfig of several groups); an OIDC action keeps its
 * client secret, which Describe never returns, by UseExistingClientSecret. Everything else as read.
 */
function writable(action: Action, groups: TargetGroupTuple[] | undefined): Action {
  if (groups) {
    const { TargetGroupArn: _single, ...rest } = action;
    return { ...rest, ForwardConfig: { ...action.ForwardConfig, TargetGroups: groups } };
  }
  if (action.Type === 'authenticate-oidc' && action.AuthenticateOidcConfig) {
    const { ClientSecret: _secret, ...config } = action.AuthenticateOidcConfig;
    return { ...action, AuthenticateOidcConfig: { ...config, UseExistingClientSecret: true } };
  }
  return action;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

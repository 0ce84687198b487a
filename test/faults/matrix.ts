/**
 * The fault-injection matrix: every AWS call of every state, each fault, once and on every attempt,
 * against moto with AWS's write checks (local/moto_server.py). Each lane owns a fault proxy, its own SDK
 * clients and its own target, so slow faults (timeouts, hangs) run side by side. After each run the
 * recovery sweep runs with AWS healthy again, as it would minutes later, and the invariants are checked.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { APIGatewayClient, GetStageCommand, UpdateStageCommand } from '@aws-sdk/client-api-gateway';
import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { DeleteItemCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  DeleteProvisionedConcurrencyConfigCommand,
  GetAliasCommand,
  GetProvisionedConcurrencyConfigCommand,
  LambdaClient,
  PutProvisionedConcurrencyConfigCommand,
  UpdateAliasCommand,
} from '@aws-sdk/client-lambda';
import {
  ChangeResourceRecordSetsCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { type LocalRunResult, runLocal } from '../../cli/local/runner';
import { boundToInvocation, clientConfig } from '../../shared/aws/clients';
import { CloudWatchMetricsSource } from '../../shared/aws/cloudwatch';
import { EventBridgePublisher } from '../../shared/aws/events';
import { DynamoDbRolloutRecords } from '../../shared/aws/records';
import { VirtualClock } from '../../shared/core/clock';
import { recordKey } from '../../shared/core/record';
import type { Target } from '../../shared/core/schema';
import { configureTiming } from '../../shared/lambda/timeouts';
import type { Deps } from '../../shared/steps/deps';
import { type Recovery, recoverExecution } from '../../shared/steps/recover';
import { ApiGatewayCanaryRouter } from '../../shared/targets/apigateway-canary/router';
import { ElbWeightedRouter } from '../../shared/targets/elb-weighted/router';
import { LambdaAliasRouter } from '../../shared/targets/lambda-alias/router';
import { Route53WeightedRouter } from '../../shared/targets/route53-weighted/router';
import { restApiWithDeployments } from '../support/apigateway';
import { type CallSite, type Fault, FaultProxy, type FaultRule } from '../support/fault-proxy';

/** Every limit scaled down together from production's (shared/lambda/timeouts.ts), keeping their ratios. */
export const FUNCTION_MS = 6_000;
configureTiming({
  maxAttempts: 3,
  connectionTimeoutMs: 300,
  requestTimeoutMs: 500,
  earlyTimeoutMs: 150,
  bestEffortMs: 800,
});
const TRICKLE_MS = 100;
/** The SDK's standard strategy, with its backoff a tenth of production's. */
const SCALED_RETRIES = () =>
  new ConfiguredRetryStrategy(3, (attempt) => Math.random() * Math.min(2_000, 10 * 2 ** attempt));
/** moto on a loaded machine can be slow; the harness's own calls (fixtures, resets, reads) wait longer. */
const DIRECT = { maxAttempts: 5, requestHandler: { requestTimeout: 30_000, throwOnRequestTimeout: true } };

/** The Route 53 router's own backoff, scaled down as the SDK's is. */
const scaledSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms / 10));

export const START = new Date('2026-11-16T10:00:00.000Z');
const TASK_STATES = [
  'Plan',
  'ProvisionCanary',
  'SetWeight',
  'Evaluate',
  'Promote',
  'Rollback',
  'AnnounceRollbackFailed',
];

/**
 * Real time each ProvisionCanary attempt lets pass first: the virtual clock's Waits take none, while moto's
 * provisioned concurrency becomes READY a real second after it is asked for (as the deployed 30 s Wait
 * lets minutes pass while AWS allocates it).
 */
const PROVISION_WALL_MS = 100;

/** The recovery sweep's runs after a case, the first at once and each later one twice as far apart. */
const SWEEP_ATTEMPTS = 5;
const SWEEP_PAUSE_MS = 250;

export type Release = 'healthy' | 'faulty';

/** One 10% step of two minutes: every state runs, and a run is a few checks long. */
const SHORT = { steps: [{ weight: 10, bakeMinutes: 2 }] };

/** One target's world: how to build its input, restore it, and read its traffic, directly from moto. */
export interface TargetWorld {
  /** Creates the lane's target and its metrics in moto. */
  setup(lane: number, moto: Clients): Promise<void>;
  /** A rollout's input (`target`) or a release's (`targets`). */
  input(lane: number, release: Release): Record<string, unknown>;
  /** Puts the target back to 100% on the stable side, as before any rollout. */
  reset(lane: number, moto: Clients): Promise<void>;
  /** The traffic now: which side has it, and whether it is split. */
  traffic(lane: number, moto: Clients): Promise<Traffic>;
  /** What a finished rollout left behind that it should have removed (provisioned concurrency), in words. */
  leftovers?(lane: number, moto: Clients): Promise<string[]>;
}

export interface Traffic {
  split: boolean;
  /** The side with all traffic, when not split. */
  on?: 'baseline' | 'canary';
  summary: string;
}

export interface Clients {
  lambda: LambdaClient;
  route53: Route53Client;
  cloudWatch: CloudWatchClient;
  dynamo: DynamoDBClient;
  events: EventBridgeClient;
  apiGateway: APIGatewayClient;
  elb: ElasticLoadBalancingV2Client;
}

/** The lanes' clients are built as production's are (shared/aws/clients.ts); the harness's own are plain. */
export function clientsFor(endpoint: string, direct = false): Clients {
  const config = direct
    ? { ...DIRECT, endpoint, region: 'us-east-1' }
    : // The SDK's standard retries, their backoff scaled down with every other limit (100 ms base → 10 ms).
      { ...clientConfig(), retryStrategy: SCALED_RETRIES(), endpoint, region: 'us-east-1' };
  const bind = <C extends Parameters<typeof boundToInvocation>[0]>(client: C) =>
    direct ? client : boundToInvocation(client);
  return {
    lambda: bind(new LambdaClient(config)),
    route53: bind(new Route53Client(config)),
    cloudWatch: bind(new CloudWatchClient(config)),
    dynamo: bind(new DynamoDBClient(config)),
    events: bind(new EventBridgeClient(config)),
    apiGateway: bind(new APIGatewayClient(config)),
    elb: bind(new ElasticLoadBalancingV2Client(config)),
  };
}

export interface CaseResult {
  rule?: FaultRule;
  release: Release;
  run: Pick<LocalRunResult, 'status' | 'error' | 'cause'>;
  recovery?: Recovery;
  traffic: Traffic;
  recordActive: boolean;
  /** What the world says the rollout left behind (TargetWorld.leftovers). */
  leftovers: string[];
  injected: number;
  /** Each Task attempt: state, real milliseconds, and the error it ended with, to explain a violation. */
  attempts: string[];
}

export const TABLE = 'fledge-faults';

/** The record of each target an input names: a rollout's one, or each of a release's. */
function recordKeysOf(input: Record<string, unknown>): string[] {
  const targets = Array.isArray(input.targets)
    ? (input.targets as Array<Record<string, unknown>>).map((entry) => entry.target ?? entry)
    : [input.target];
  return targets.map((target) => recordKey(target as Target));
}

class Lane {
  readonly proxy: FaultProxy;
  #endpoint = '';
  #direct: Clients;

  constructor(
    readonly index: number,
    private readonly world: TargetWorld,
    motoEndpoint: string,
  ) {
    this.proxy = new FaultProxy(motoEndpoint, TRICKLE_MS);
    this.#direct = clientsFor(motoEndpoint, true);
  }

  async start(): Promise<void> {
    this.#endpoint = await this.proxy.start();
    await this.world.setup(this.index, this.#direct);
  }

  /**
   * Fresh clients for every case, as a fresh Lambda would have: the SDK's retry quota is per client,
   * and one case's storm of faults must not change how the next retries.
   */
  private deps(): Omit<Deps, 'clock'> {
    const via = clientsFor(this.#endpoint);
    return {
      router: (target) => {
        switch (target.type) {
          case 'lambda-alias':
            return new LambdaAliasRouter(target, via.lambda);
          case 'route53-weighted':
            return new Route53WeightedRouter(target, via.route53, { sleep: scaledSleep });
          case 'apigateway-canary':
            return new ApiGatewayCanaryRouter(target, via.apiGateway);
          case 'elb-weighted':
            return new ElbWeightedRouter(target, via.elb, { sleep: scaledSleep });
        }
      },
      metrics: new CloudWatchMetricsSource(via.cloudWatch, () => via.route53),
      records: new DynamoDbRolloutRecords(TABLE, via.dynamo, {
        describe: async () => ({ status: 'UNKNOWN' }),
      }),
      events: new EventBridgePublisher('default', via.events),
      tags: async () => ({}),
      hooks: async () => undefined,
      executions: { describe: async () => ({ status: 'UNKNOWN' }) },
    };
  }

  async run(release: Release, rule?: FaultRule): Promise<CaseResult> {
    const world = this.world;
    const deps = this.deps();
    await world.reset(this.index, this.#direct);
    const input = world.input(this.index, release);
    const keys = recordKeysOf(input);
    for (const key of keys)
      await this.#direct.dynamo.send(new DeleteItemCommand({ TableName: TABLE, Key: { pk: { S: key } } }));
    this.proxy.arm(rule);
    const attempts: string[] = [];
    const clock = new VirtualClock(START);
    const result = await runLocal({
      input,
      deps: { ...deps, clock },
      virtualClock: clock,
      functionTimeoutMs: () => FUNCTION_MS,
      recover: false,
      taskOverrides: Object.fromEntries(
        TASK_STATES.map((state) => [
          state,
          async (taskInput: unknown, real: (i: unknown) => Promise<unknown>) => {
            if (state === 'ProvisionCanary') await new Promise((r) => setTimeout(r, PROVISION_WALL_MS));
            this.proxy.enter(state);
            const began = performance.now();
            const took = () => `${state} ${Math.round(performance.now() - began)}ms`;
            try {
              const out = await real(taskInput);
              attempts.push(took());
              return out;
            } catch (error) {
              attempts.push(`${took()} ${(error as Error).name}: ${(error as Error).message}`);
              throw error;
            }
          },
        ]),
      ),
    });
    const injected = this.proxy.injected.length;
    // Minutes later: AWS answers again, and the sweep (or the status-change event) recovers.
    this.proxy.disarm();
    this.proxy.enter('Recover');
    const ended = {
      status: result.status,
      error: result.error,
      cause: result.cause,
      output: result.output === undefined ? undefined : JSON.stringify(result.output),
      tasksEnded: true,
    };
    // The sweep runs every few minutes and its Lambda retries: try until it gets through. Its next run
    // comes minutes later, so a moment when moto is slow under the other lanes (a request past the
    // lane's scaled timeout) is waited out, not met five times within the same second.
    let recovery: Recovery | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        recovery = await recoverExecution(result.executionArn, { ...deps, clock }, ended);
        if (recovery?.action !== 'failed' || attempt >= SWEEP_ATTEMPTS) break;
      } catch (error) {
        if (attempt >= SWEEP_ATTEMPTS) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, SWEEP_PAUSE_MS * 2 ** (attempt - 1)));
    }
    const traffic = await world.traffic(this.index, this.#direct);
    const leftovers = (await world.leftovers?.(this.index, this.#direct)) ?? [];
    const records = await Promise.all(
      keys.map((key) =>
        this.#direct.dynamo.send(
          new GetItemCommand({ TableName: TABLE, Key: { pk: { S: key } }, ConsistentRead: true }),
        ),
      ),
    );
    return {
      ...(rule ? { rule } : {}),
      release,
      run: { status: result.status, error: result.error, cause: result.cause },
      ...(recovery ? { recovery } : {}),
      traffic,
      recordActive: records.some((record) => record.Item?.active?.BOOL === true),
      leftovers,
      injected,
      attempts,
    };
  }

  callSites(): CallSite[] {
    return this.proxy.callSites();
  }

  stop(): Promise<void> {
    return this.proxy.stop();
  }
}

export class Matrix {
  readonly lanes: Lane[];

  constructor(world: TargetWorld, motoEndpoint: string, lanes: number) {
    this.lanes = Array.from({ length: lanes }, (_, i) => new Lane(i, world, motoEndpoint));
  }

  async start(): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.stop()));
  }

  /**
   * Two clean runs of each release: the call sites of every state that both made. A site only one made
   * came from a slow moment (a step retried after a spurious timeout takes another path), and no case
   * would reliably meet it.
   */
  async discover(): Promise<Record<Release, CallSite[]>> {
    const lane = this.lanes[0] as Lane;
    const out = {} as Record<Release, CallSite[]>;
    const key = (s: CallSite) => `${s.state}|${s.op}|${s.nth}`;
    for (const release of ['healthy', 'faulty'] as const) {
      const runs: CallSite[][] = [];
      for (let i = 0; i < 2; i++) {
        const clean = await lane.run(release);
        if (clean.run.status === 'FAILED' && release === 'healthy')
          throw new Error(`the clean healthy run failed: ${clean.run.error} ${clean.run.cause}`);
        runs.push(lane.callSites().filter((s) => TASK_STATES.includes(s.state)));
      }
      const again = new Set((runs[1] ?? []).map(key));
      out[release] = (runs[0] ?? []).filter((s) => again.has(key(s)));
    }
    return out;
  }

  /**
   * Runs the cases over the lanes, each lane one case at a time. A case whose fault site was never
   * reached (a slow moment took the run down another path, e.g. a step retried after a spurious
   * timeout) proved nothing, so it runs again, up to twice.
   */
  async runAll(cases: Array<{ release: Release; rule: FaultRule }>): Promise<CaseResult[]> {
    const queue = [...cases];
    const results: CaseResult[] = [];
    await Promise.all(
      this.lanes.map(async (lane) => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          let result = await lane.run(next.release, next.rule);
          for (let again = 0; result.injected === 0 && again < 2; again++) {
            result = await lane.run(next.release, next.rule);
          }
          results.push(result);
        }
      }),
    );
    return results;
  }
}

/** The cases of one fault: each call site once, or each operation of each state on every attempt. */
export function casesFor(
  sites: Record<Release, CallSite[]>,
  fault: Fault,
  mode: 'once' | 'every',
): Array<{ release: Release; rule: FaultRule }> {
  const out = new Map<string, { release: Release; rule: FaultRule }>();
  for (const release of ['healthy', 'faulty'] as const) {
    for (const site of sites[release]) {
      // A regression matters where the two releases differ: its checks and its rollback.
      if (release === 'faulty' && !['Evaluate', 'Rollback'].includes(site.state)) continue;
      const rule: FaultRule =
        mode === 'once'
          ? { state: site.state, op: site.op, nth: site.nth, fault, mode }
          : { state: site.state, op: site.op, fault, mode };
      const key = `${release}|${rule.state}|${rule.op}|${rule.nth ?? '*'}`;
      if (!out.has(key)) out.set(key, { release, rule });
    }
  }
  return [...out.values()];
}

const TRANSIENT: readonly Fault[] = ['throttle', '5xx', 'reset', 'timeout', 'lost', 'hang'];

/** What must hold whatever the fault: each violation, in words. */
export function violations(result: CaseResult): string[] {
  const out: string[] = [];
  const where = result.rule
    ? `${result.rule.fault} ${result.rule.mode} at ${result.rule.state} ${result.rule.op}${result.rule.nth ? ` #${result.rule.nth}` : ''} (${result.release})`
    : `clean ${result.release}`;
  const status = [result.run.status, result.run.error].filter(Boolean).join(' ');
  const ended = `${status}; attempts: ${result.attempts.join(', ')}`;
  if (result.run.error === 'fledge.TrafficConflict' || result.recovery?.action === 'conflict')
    out.push(`${where}: a false conflict (${ended}; ${result.recovery?.reason ?? result.run.cause})`);
  if (result.traffic.split)
    out.push(`${where}: traffic left split after recovery: ${result.traffic.summary} (${ended})`);
  if (result.recordActive) out.push(`${where}: the target is still held after recovery (${ended})`);
  // A removal refused for good, or failing on every attempt, is given up and announced (Canary Recovery
  // Failed): only then may something be left.
  if (result.leftovers.length > 0 && result.rule?.fault !== 'denied' && result.rule?.mode !== 'every')
    out.push(`${where}: left behind after recovery: ${result.leftovers.join('; ')} (${ended})`);
  if (result.release === 'faulty' && result.traffic.on === 'canary')
    out.push(`${where}: a faulty release ended with all traffic (${ended})`);
  if (
    result.run.error === 'fledge.RollbackFailed' &&
    !/Traffic was last set to \d+(\.\d+)?% on the canary/.test(result.run.cause ?? '')
  )
    out.push(`${where}: RollbackFailed without saying what was left: ${result.run.cause}`);
  const single = result.rule?.mode === 'once' && TRANSIENT.includes(result.rule.fault);
  if (single && result.release === 'healthy' && result.traffic.on !== 'canary')
    out.push(
      `${where}: a healthy release was not promoted after a single transient fault (${ended}; ${result.run.cause ?? ''})`,
    );
  return out;
}

/** Counts per fault and mode, for docs/RELIABILITY.md (scripts/reliability-table.ts prints them). */
export interface Tally {
  target: string;
  fault: Fault;
  mode: 'once' | 'every';
  cases: number;
  /** Runs of a faulty release (a regression), whose checks and rollback the faults hit. */
  faulty: number;
  injected: number;
  promoted: number;
  rolledBack: number;
  rejected: number;
  rollbackFailed: number;
  recovered: number;
  splitLeft: number;
  heldLeft: number;
  falseConflicts: number;
  healthyRolledBackBySingleTransientFault: number;
}

export function tally(target: string, fault: Fault, mode: 'once' | 'every', results: CaseResult[]): Tally {
  const count = (f: (r: CaseResult) => boolean) => results.filter(f).length;
  return {
    target,
    fault,
    mode,
    cases: results.length,
    faulty: count((r) => r.release === 'faulty'),
    injected: count((r) => r.injected > 0),
    promoted: count((r) => r.run.status === 'SUCCEEDED' && r.traffic.on === 'canary'),
    rolledBack: count((r) => r.run.error === 'fledge.RolledBack'),
    rejected: count(
      (r) =>
        r.run.status === 'FAILED' &&
        !['fledge.RolledBack', 'fledge.RollbackFailed', 'fledge.TrafficConflict'].includes(r.run.error ?? ''),
    ),
    rollbackFailed: count((r) => r.run.error === 'fledge.RollbackFailed'),
    recovered: count((r) => r.recovery?.action === 'rolled-back'),
    splitLeft: count((r) => r.traffic.split),
    heldLeft: count((r) => r.recordActive),
    falseConflicts: count(
      (r) => r.run.error === 'fledge.TrafficConflict' || r.recovery?.action === 'conflict',
    ),
    healthyRolledBackBySingleTransientFault: count(
      (r) =>
        r.release === 'healthy' &&
        r.rule?.mode === 'once' &&
        TRANSIENT.includes(r.rule.fault) &&
        r.traffic.on !== 'canary',
    ),
  };
}

export function writeTallies(target: string, tallies: Tally[]): void {
  mkdirSync('results', { recursive: true });
  writeFileSync(`results/faults-${target}.json`, `${JSON.stringify(tallies, null, 2)}\n`);
}

/* --- the two targets' worlds ------------------------------------------------------------------- */

/** An alarm the rollout watches (never in ALARM), so DescribeAlarms is among the calls faulted. */
async function createAlarm(moto: Clients, lane: number): Promise<void> {
  await moto.cloudWatch.send(
    new PutMetricAlarmCommand({
      AlarmName: `faults-alarm-${lane}`,
      Namespace: 'Faults',
      MetricName: 'Unused',
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanThreshold',
    }),
  );
}

export const lambdaWorld: TargetWorld = {
  async setup(lane, moto) {
    const { createFunctionWithAlias } = await import('../../local/fixtures');
    const { publishLambdaMinutes } = await import('../support/aws');
    await createFunctionWithAlias(`faults-fn-${lane}`, 'live', 3);
    // Version 2 is healthy, version 3 fails 10% of its requests; the baseline 0.5%. Enough canary
    // traffic to promote after one short step, so each run is a few checks long.
    await publishLambdaMinutes(`faults-fn-${lane}`, 'live', START, 30, {
      '1': { requests: 9000, errors: 45 },
      '2': { requests: 1000, errors: 5 },
      '3': { requests: 1000, errors: 100 },
    });
    await createAlarm(moto, lane);
  },
  input(lane, release) {
    return {
      target: {
        type: 'lambda-alias',
        functionName: `faults-fn-${lane}`,
        alias: 'live',
        version: release === 'healthy' ? '2' : '3',
      },
      strategy: 'Canary10Percent5Minutes',
      analysis: { alarms: [`faults-alarm-${lane}`] },
    };
  },
  async reset(lane, moto) {
    await moto.lambda.send(
      new UpdateAliasCommand({
        FunctionName: `faults-fn-${lane}`,
        Name: 'live',
        FunctionVersion: '1',
        RoutingConfig: { AdditionalVersionWeights: {} },
      }),
    );
  },
  async traffic(lane, moto) {
    const alias = await moto.lambda.send(
      new GetAliasCommand({ FunctionName: `faults-fn-${lane}`, Name: 'live' }),
    );
    const weights = alias.RoutingConfig?.AdditionalVersionWeights ?? {};
    const summary = `version ${alias.FunctionVersion} ${JSON.stringify(weights)}`;
    if (Object.keys(weights).length > 0) return { split: true, summary };
    return { split: false, on: alias.FunctionVersion === '1' ? 'baseline' : 'canary', summary };
  },
};

/**
 * The Lambda alias with 10 provisioned concurrency: each release first gives its new version 1 (10% of
 * the alias's, Canary10Percent5Minutes) and waits until READY; whatever the fault, none may be left.
 */
export const lambdaProvisionedWorld: TargetWorld = {
  ...lambdaWorld,
  async setup(lane, moto) {
    await lambdaWorld.setup(lane, moto);
    await moto.lambda.send(
      new PutProvisionedConcurrencyConfigCommand({
        FunctionName: `faults-fn-${lane}`,
        Qualifier: 'live',
        ProvisionedConcurrentExecutions: 10,
      }),
    );
  },
  async reset(lane, moto) {
    await lambdaWorld.reset(lane, moto);
    for (const version of ['2', '3']) {
      await moto.lambda
        .send(
          new DeleteProvisionedConcurrencyConfigCommand({
            FunctionName: `faults-fn-${lane}`,
            Qualifier: version,
          }),
        )
        .catch(() => undefined);
    }
  },
  async leftovers(lane, moto) {
    const out: string[] = [];
    for (const version of ['2', '3']) {
      const config = await moto.lambda
        .send(
          new GetProvisionedConcurrencyConfigCommand({
            FunctionName: `faults-fn-${lane}`,
            Qualifier: version,
          }),
        )
        .catch(() => undefined);
      if (config)
        out.push(
          `version ${version} keeps ${config.RequestedProvisionedConcurrentExecutions} provisioned concurrency`,
        );
    }
    return out;
  },
};

const zoneIds: Record<number, string> = {};
const STABLE_IP = '192.0.2.10';
const OLD_CANARY_IP = '192.0.2.11';
const NEW_FLEET_IP = '192.0.2.20';

const r53record = (lane: number, id: string, weight: number, ip: string): ResourceRecordSet => ({
  Name: `app.faults${lane}.example.`,
  Type: 'A',
  SetIdentifier: id,
  Weight: weight,
  TTL: 5,
  ResourceRecords: [{ Value: ip }],
});

/** Thirty minutes of the lane's healthy and faulty canary (0.5% and 10% errors) beside their stable side. */
async function publishLaneMinutes(lane: number, prefix = ''): Promise<void> {
  const { publishSideMinutes } = await import('../support/aws');
  for (const [release, canaryErrors] of [
    ['healthy', 5],
    ['faulty', 100],
  ] as const) {
    await publishSideMinutes('Faults', `${prefix}${release}-${lane}`, START, 30, {
      stable: { requests: 9000, errors: 45 },
      canary: { requests: 1000, errors: canaryErrors },
    });
  }
}

/** The analysis of a lane's release on the metrics publishLaneMinutes wrote, and the lane's alarm. */
function laneAnalysis(lane: number, release: Release, prefix = '') {
  const metric = (metricName: string) => ({
    namespace: 'Faults',
    metricName,
    stable: { App: `${prefix}${release}-${lane}`, Side: 'stable' },
    canary: { App: `${prefix}${release}-${lane}`, Side: 'canary' },
  });
  return {
    requests: metric('Requests'),
    errors: metric('Errors'),
    alarms: [`faults-alarm-${lane}`],
    metricLagMinutes: 1,
  };
}

export const route53World: TargetWorld = {
  async setup(lane, moto) {
    await createAlarm(moto, lane);
    const { createZone, createWeightedPair } = await import('../../local/route53-fixtures');
    zoneIds[lane] = await createZone(`faults${lane}.example`);
    await createWeightedPair(zoneIds[lane] ?? '', `app.faults${lane}.example`, STABLE_IP, OLD_CANARY_IP, 5);
    await publishLaneMinutes(lane);
  },
  input(lane, release) {
    return {
      target: {
        type: 'route53-weighted',
        hostedZoneId: zoneIds[lane] ?? '',
        recordName: `app.faults${lane}.example`,
        recordType: 'A',
        stable: 'primary',
        canary: 'canary',
        canaryValue: [NEW_FLEET_IP],
      },
      strategy: SHORT,
      analysis: laneAnalysis(lane, release),
    };
  },
  async reset(lane, moto) {
    const zone = zoneIds[lane] ?? '';
    const page = await moto.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone }));
    const pair = (page.ResourceRecordSets ?? []).filter(
      (r) => r.Name === `app.faults${lane}.example.` && r.Type === 'A',
    );
    const wanted = [r53record(lane, 'primary', 100, STABLE_IP), r53record(lane, 'canary', 0, OLD_CANARY_IP)];
    await moto.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone,
        ChangeBatch: {
          Changes: [
            ...pair.map((r) => ({ Action: 'DELETE' as const, ResourceRecordSet: r })),
            ...wanted.map((r) => ({ Action: 'CREATE' as const, ResourceRecordSet: r })),
          ],
        },
      }),
    );
  },
  async traffic(lane, moto) {
    const page = await moto.route53.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zoneIds[lane] ?? '' }),
    );
    const pair = (page.ResourceRecordSets ?? []).filter(
      (r) => r.Name === `app.faults${lane}.example.` && r.Type === 'A',
    );
    const of = (id: string) => pair.find((r) => r.SetIdentifier === id);
    const stable = of('primary');
    const canary = of('canary');
    const summary = pair
      .map((r) => `${r.SetIdentifier}=${r.Weight} ${r.ResourceRecords?.[0]?.Value}`)
      .join(', ');
    if (!stable || !canary || pair.length !== 2) return { split: true, summary: `not a pair: ${summary}` };
    const sw = stable.Weight ?? 0;
    const cw = canary.Weight ?? 0;
    if (sw > 0 && cw > 0) return { split: true, summary };
    const served = sw > 0 ? stable.ResourceRecords?.[0]?.Value : canary.ResourceRecords?.[0]?.Value;
    return { split: false, on: served === NEW_FLEET_IP ? 'canary' : 'baseline', summary };
  },
};

/** Each lane's REST API: its id, the stable deployment and the two releases. */
const restApis: Record<number, { restApiId: string; stable: string; healthy: string; faulty: string }> = {};

export const apiGatewayWorld: TargetWorld = {
  async setup(lane, moto) {
    await createAlarm(moto, lane);
    const api = await restApiWithDeployments(`faults-api-${lane}`, { client: moto.apiGateway, releases: 2 });
    const [healthy = '', faulty = ''] = api.releases;
    restApis[lane] = { restApiId: api.restApiId, stable: api.stable, healthy, faulty };
    await publishLaneMinutes(lane, 'api-');
  },
  input(lane, release) {
    const api = restApis[lane];
    return {
      target: {
        type: 'apigateway-canary',
        restApiId: api?.restApiId ?? '',
        stageName: 'prod',
        deploymentId: (release === 'healthy' ? api?.healthy : api?.faulty) ?? '',
      },
      strategy: SHORT,
      analysis: laneAnalysis(lane, release, 'api-'),
    };
  },
  async reset(lane, moto) {
    const api = restApis[lane];
    const stage = await moto.apiGateway.send(
      new GetStageCommand({ restApiId: api?.restApiId ?? '', stageName: 'prod' }),
    );
    await moto.apiGateway.send(
      new UpdateStageCommand({
        restApiId: api?.restApiId ?? '',
        stageName: 'prod',
        patchOperations: [
          ...(stage.canarySettings ? [{ op: 'remove' as const, path: '/canarySettings' }] : []),
          { op: 'replace', path: '/deploymentId', value: api?.stable ?? '' },
        ],
      }),
    );
  },
  async traffic(lane, moto) {
    const api = restApis[lane];
    const stage = await moto.apiGateway.send(
      new GetStageCommand({ restApiId: api?.restApiId ?? '', stageName: 'prod' }),
    );
    const canary = stage.canarySettings;
    const summary = `deployment ${stage.deploymentId}${canary ? `, canary ${canary.deploymentId} at ${canary.percentTraffic}%` : ''}`;
    if (canary) return { split: true, summary };
    return { split: false, on: stage.deploymentId === api?.stable ? 'baseline' : 'canary', summary };
  },
};

const elbRules: Record<number, { listenerArn: string; ruleArn: string; stable: string; canary: string }> = {};

/**
 * A listener rule whose forward action holds a stable and a canary target group (an authenticate action
 * before it), judged on the lane's own metrics as the Route 53 world is.
 */
export const elbWorld: TargetWorld = {
  async setup(lane, moto) {
    await createAlarm(moto, lane);
    const { createWeightedRule } = await import('../../local/elb-fixtures');
    elbRules[lane] = await createWeightedRule(`faults-elb-${lane}`);
    await publishLaneMinutes(lane);
  },
  input(lane, release) {
    const { listenerArn, ruleArn, stable, canary } = elbRules[lane] ?? {
      listenerArn: '',
      ruleArn: '',
      stable: '',
      canary: '',
    };
    return {
      target: { type: 'elb-weighted', listenerArn, ruleArn, stable, canary },
      strategy: SHORT,
      analysis: laneAnalysis(lane, release),
    };
  },
  async reset(lane, moto) {
    const rule = elbRules[lane];
    if (!rule) return;
    const actions =
      (await moto.elb.send(new DescribeRulesCommand({ RuleArns: [rule.ruleArn] }))).Rules?.[0]?.Actions ?? [];
    const reset = actions.map((a) =>
      a.Type === 'forward'
        ? {
            ...a,
            ForwardConfig: {
              ...a.ForwardConfig,
              TargetGroups: [
                { TargetGroupArn: rule.stable, Weight: 1 },
                { TargetGroupArn: rule.canary, Weight: 0 },
              ],
            },
          }
        : a,
    );
    await moto.elb.send(new ModifyRuleCommand({ RuleArn: rule.ruleArn, Actions: reset }));
  },
  async traffic(lane, moto) {
    const rule = elbRules[lane];
    const actions = rule
      ? ((await moto.elb.send(new DescribeRulesCommand({ RuleArns: [rule.ruleArn] }))).Rules?.[0]?.Actions ??
        [])
      : [];
    const groups = actions.find((a) => a.Type === 'forward')?.ForwardConfig?.TargetGroups ?? [];
    const weight = (arn?: string) => groups.find((g) => g.TargetGroupArn === arn)?.Weight;
    const sw = weight(rule?.stable);
    const cw = weight(rule?.canary);
    const summary = `stable=${sw}, canary=${cw}; actions ${actions.map((a) => a.Type).join(', ')}`;
    if (sw === undefined || cw === undefined || groups.length !== 2 || actions.length !== 2) {
      return { split: true, summary: `not the rule as set up: ${summary}` };
    }
    if (sw > 0 && cw > 0) return { split: true, summary };
    return { split: false, on: cw > 0 ? 'canary' : 'baseline', summary };
  },
};

/**
 * A release of three targets per lane: the lane's Lambda alias (versions 2 healthy, 3 faulty), a second
 * alias (always its healthy version 2) and the lane's Route 53 pair (healthy fleet metrics). A faulty
 * release is the first alias's faulty version beside healthy others: every target must end on its
 * baseline. Traffic is the release's: split when any target is split or the targets disagree (mixed).
 */
export const releaseWorld: TargetWorld = {
  async setup(lane, moto) {
    await lambdaWorld.setup(lane, moto);
    await route53World.setup(lane, moto);
    const { createFunctionWithAlias } = await import('../../local/fixtures');
    const { publishLambdaMinutes } = await import('../support/aws');
    await createFunctionWithAlias(`faults-fn2-${lane}`, 'live', 2);
    await publishLambdaMinutes(`faults-fn2-${lane}`, 'live', START, 30, {
      '1': { requests: 9000, errors: 45 },
      '2': { requests: 1000, errors: 5 },
    });
  },
  input(lane, release) {
    const alias = lambdaWorld.input(lane, release).target as Record<string, unknown>;
    const dns = route53World.input(lane, 'healthy') as {
      target: Record<string, unknown>;
      analysis: Record<string, unknown>;
    };
    return {
      release: `faults-release-${lane}`,
      targets: [
        alias,
        { type: 'lambda-alias', functionName: `faults-fn2-${lane}`, alias: 'live', version: '2' },
        { target: dns.target, analysis: { requests: dns.analysis.requests, errors: dns.analysis.errors } },
      ],
      strategy: SHORT,
      analysis: { alarms: [`faults-alarm-${lane}`], metricLagMinutes: 1 },
    };
  },
  async reset(lane, moto) {
    await lambdaWorld.reset(lane, moto);
    await moto.lambda.send(
      new UpdateAliasCommand({
        FunctionName: `faults-fn2-${lane}`,
        Name: 'live',
        FunctionVersion: '1',
        RoutingConfig: { AdditionalVersionWeights: {} },
      }),
    );
    await route53World.reset(lane, moto);
  },
  async traffic(lane, moto) {
    const second = await moto.lambda.send(
      new GetAliasCommand({ FunctionName: `faults-fn2-${lane}`, Name: 'live' }),
    );
    const weights = second.RoutingConfig?.AdditionalVersionWeights ?? {};
    const fn2: Traffic =
      Object.keys(weights).length > 0
        ? { split: true, summary: `fn2 version ${second.FunctionVersion} ${JSON.stringify(weights)}` }
        : {
            split: false,
            on: second.FunctionVersion === '1' ? 'baseline' : 'canary',
            summary: `fn2 version ${second.FunctionVersion}`,
          };
    const each = [await lambdaWorld.traffic(lane, moto), fn2, await route53World.traffic(lane, moto)];
    const summary = each.map((t) => t.summary).join('; ');
    const sides = new Set(each.map((t) => t.on));
    if (each.some((t) => t.split) || sides.size > 1)
      return { split: true, summary: `mixed or split: ${summary}` };
    const on = each[0]?.on;
    return { split: false, ...(on ? { on } : {}), summary };
  },
};

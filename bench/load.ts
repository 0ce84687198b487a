/**
 * The load bench's engine: N rollouts started within one virtual minute against moto behind the quota
 * emulator, all in this process on one shared virtual timeline, then each again alone (no load, full
 * quotas) with the same seed, to compare outcomes. `npm run bench:load` prints it (bench/load-cli.ts);
 * test/load runs a small version.
 */
import { APIGatewayClient, GetStageCommand } from '@aws-sdk/client-api-gateway';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetAliasCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { runLocal } from '../cli/local/runner';
import { type RunReport, toReport } from '../cli/reports/progress';
import { wireDeps } from '../cli/shared/wiring';
import { restApiWithDeployments } from '../local/apigateway-fixtures';
import { createWeightedRule } from '../local/elb-fixtures';
import { createFunctionWithAlias, createRolloutTable } from '../local/fixtures';
import { useEndpoint } from '../local/moto';
import {
  AWS_QUOTAS,
  type CallRecord,
  QuotaEmulator,
  type QuotaGroup,
  scaleQuotas,
} from '../local/quota-emulator';
import { createWeightedPair, createZone } from '../local/route53-fixtures';
import { SharedTimeline, type TimelineMember } from '../local/shared-timeline';
import { putOnTimeline } from '../local/timeline-retry';
import { albTraffic, aliasSplit, recordSplit, stageSplit, TrafficSimulator } from '../local/traffic';
import {
  apiGatewayClient,
  cloudWatchClient,
  dynamoDbClient,
  elbClient,
  eventBridgeClient,
  lambdaClient,
  route53Client,
  sfnClient,
} from '../shared/aws/clients';
import { floorToMinute } from '../shared/core/clock';
import type { Deps } from '../shared/steps/deps';
import { ElbWeightedRouter } from '../shared/targets/elb-weighted/router';
import { createRouter } from '../shared/targets/routers';

/** How many rollouts AWS's quotas are scaled for: N rollouts run at N/300 of each quota. */
export const ACCOUNT_ROLLOUTS = 300;

/** Rollouts run alone at the same time (each on a timeline of its own). */
const ALONE_AT_ONCE = 60;

export interface LoadOptions {
  rollouts: number;
  seed: number;
  /** moto's endpoint (fixtures and simulated traffic go there directly, past the quotas). */
  motoEndpoint: string;
  /** Share of rollouts on Route 53 weighted pairs (default 0.2). */
  route53Share?: number;
  /** Share on ELB listener rules with weighted target groups (default 0.15). */
  elbShare?: number;
  /** Share on API Gateway REST stage canaries (default 0.15). */
  apiGatewayShare?: number;
  /** Share of releases of three targets (default 0.05); the rest are Lambda aliases. */
  releaseShare?: number;
  /** Share of faulty canaries. */
  faultyShare?: number;
  /**
   * Rollout records in a DynamoDB table through the emulator, as deployed, so their calls are counted
   * (default), or in the process: about 60% fewer requests for moto, for CI's small run. DynamoDB's
   * per-table throughput is far from binding (docs/CAPACITY.md).
   */
  recordsInTable?: boolean;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** The target kinds in the mix, in the order the bench reports them. */
export const LOAD_KINDS = [
  'lambda-alias',
  'route53-weighted',
  'elb-weighted',
  'apigateway-canary',
  'release',
] as const;
export type LoadKind = (typeof LOAD_KINDS)[number];

/** Each kind's strategy in the mix, as the bench prints it. */
export const STRATEGY_OF: Record<LoadKind, string> = {
  'lambda-alias': 'Canary10Percent5Minutes',
  'route53-weighted': '10% 3 min, 50% 3 min',
  'elb-weighted': '10% 3 min, 50% 3 min',
  'apigateway-canary': 'Canary10Percent5Minutes',
  release: 'two Lambda aliases and a Route 53 pair, 10% 3 min, 50% 3 min',
};

export interface Spec {
  index: number;
  kind: LoadKind;
  faulty: boolean;
  /** Seconds after the first start. */
  startOffset: number;
  trafficSeed: number;
}

export interface RolloutRun {
  spec: Spec;
  report: RunReport;
  /** The canary's share read back from moto once the run ended (0-1; a release whose targets disagree, 0.5). */
  readBack: number;
  path: string[];
  virtualMinutes: number;
}

export interface LoadResult {
  scale: number;
  quotas: QuotaGroup[];
  loaded: RolloutRun[];
  alone: RolloutRun[];
  /** Calls of the loaded run, and of the alone runs of each target kind. */
  loadedCalls: CallRecord[];
  aloneCalls: Record<LoadKind, CallRecord[]>;
  wallSeconds: number;
}

export function specs(options: LoadOptions): Spec[] {
  const random = mulberry32(options.seed);
  const shares: Array<[LoadKind, number]> = [
    ['route53-weighted', options.route53Share ?? 0.2],
    ['elb-weighted', options.elbShare ?? 0.15],
    ['apigateway-canary', options.apiGatewayShare ?? 0.15],
    ['release', options.releaseShare ?? 0.05],
  ];
  const kindOf = (draw: number): LoadKind => {
    let edge = 0;
    for (const [kind, share] of shares) {
      edge += share;
      if (draw < edge) return kind;
    }
    return 'lambda-alias';
  };
  return Array.from({ length: options.rollouts }, (_, index) => ({
    index,
    kind: kindOf(random()),
    faulty: random() < (options.faultyShare ?? 0.3),
    startOffset: Math.floor(random() * 60),
    trafficSeed: Math.floor(random() * 1_000_000),
  }));
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const started = performance.now();
  const log = options.log ?? (() => undefined);
  const all = specs(options);
  const scale = options.rollouts / ACCOUNT_ROLLOUTS;
  const quotas = scaleQuotas(AWS_QUOTAS, scale);

  log(`creating ${all.length * 2} targets in moto...`);
  useEndpoint(options.motoEndpoint);
  const loadedTargets = await createTargets(all, 'l');
  const aloneTargets = await createTargets(all, 'a');

  // The records in a DynamoDB table, as deployed, so its calls are metered per table.
  const table =
    (options.recordsInTable ?? true) ? await createRolloutTable(`fledge-load-${Date.now()}`) : undefined;
  const tableBefore = process.env.FLEDGE_TABLE;

  // One endpoint for the whole run: fledge's SDK clients are built once per process.
  const emulator = new QuotaEmulator(options.motoEndpoint, Date.now, quotas);
  useEndpoint(await emulator.start());
  if (table) process.env.FLEDGE_TABLE = table;
  else delete process.env.FLEDGE_TABLE;
  const deps = wireDeps();
  await putFledgeClientsOnTimeline();
  const phase = { emulator, deps, motoEndpoint: options.motoEndpoint };
  try {
    log(`${all.length} rollouts at once, quotas x${scale.toFixed(3)}...`);
    const loaded = await runPhase(all, loadedTargets, quotas, phase);
    // Alone: no quota binds and each rollout has a timeline of its own, so none waits on another; one
    // batch per target kind, so each kind's calls can be counted.
    log('each rollout alone (no quotas, a timeline each)...');
    const alone: RolloutRun[] = [];
    const aloneCalls = Object.fromEntries(
      LOAD_KINDS.map((k) => [k, []]),
    ) as unknown as LoadResult['aloneCalls'];
    for (const kind of LOAD_KINDS) {
      const batch = all.filter((s) => s.kind === kind);
      if (batch.length === 0) continue;
      // AWS's groups, a million times over: each call is named by its group, and none binds. At most
      // ALONE_AT_ONCE at a time: each has a timeline of its own either way, and 300 at once, unthrottled,
      // kept moto past the SDK's 5 s request timeout.
      for (let at = 0; at < batch.length; at += ALONE_AT_ONCE) {
        const chunk = batch.slice(at, at + ALONE_AT_ONCE);
        const targets = chunk.map((s) => aloneTargets[s.index] as Target);
        const one = await runPhase(chunk, targets, scaleQuotas(AWS_QUOTAS, 1e6), phase, 'own-timelines');
        alone.push(...one.runs);
        aloneCalls[kind].push(...one.calls);
      }
    }
    alone.sort((x, y) => x.spec.index - y.spec.index);
    return {
      scale,
      quotas,
      loaded: loaded.runs,
      alone,
      loadedCalls: loaded.calls,
      aloneCalls,
      wallSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    await emulator.stop();
    useEndpoint(options.motoEndpoint);
    if (tableBefore === undefined) delete process.env.FLEDGE_TABLE;
    else process.env.FLEDGE_TABLE = tableBefore;
  }
}

interface Target {
  input: Record<string, unknown>;
  traffic: (endpoint: string) => Pick<TrafficSimulator, 'simulate'>;
  /** The new version's share of the target's traffic (0-1), read from moto. */
  readBack: (endpoint: string) => Promise<number>;
}

const STABLE_IP = '192.0.2.10';
const CANARY_IP = '192.0.2.11';

async function createTargets(all: Spec[], phase: string): Promise<Target[]> {
  const targets: Target[] = [];
  for (const spec of all) targets.push(await TARGET_OF[spec.kind](`load-${phase}-${spec.index}`, spec));
  return targets;
}

/** How each kind's target is set up in moto, how its traffic is simulated, and how it is read back. */
const TARGET_OF: Record<LoadKind, (name: string, spec: Spec) => Promise<Target>> = {
  'lambda-alias': lambdaAliasTarget,
  'route53-weighted': route53Target,
  'elb-weighted': elbTarget,
  'apigateway-canary': apiGatewayTarget,
  release: releaseTarget,
};

const errorRateOf = (spec: Spec) => (spec.faulty ? 0.05 : 0.005);

/** Two steps, each three minutes: long enough for a decision, short enough for CI. */
const TWO_STEPS = {
  steps: [
    { weight: 10, bakeMinutes: 3 },
    { weight: 50, bakeMinutes: 3 },
  ],
};

async function lambdaAliasTarget(name: string, spec: Spec): Promise<Target> {
  await createFunctionWithAlias(name, 'live', 2);
  return {
    input: {
      target: { type: 'lambda-alias', functionName: name, alias: 'live', version: '2' },
      strategy: 'Canary10Percent5Minutes',
    },
    traffic: (at) =>
      new TrafficSimulator({
        namespace: 'AWS/Lambda',
        requestsMetric: 'Invocations',
        errorsMetric: 'Errors',
        requestsPerMinute: 1000,
        seed: spec.trafficSeed,
        readSplit: aliasSplit(name, 'live', { '2': errorRateOf(spec) }, 0.005, at),
        endpoint: at,
      }),
    readBack: async (at) => {
      const alias = await new LambdaClient({ endpoint: at }).send(
        new GetAliasCommand({ FunctionName: name, Name: 'live' }),
      );
      if (alias.FunctionVersion === '2') return 1;
      return alias.RoutingConfig?.AdditionalVersionWeights?.['2'] ?? 0;
    },
  };
}

/** The app's own metrics per side (namespace LoadApp, dimensions App and Side). */
const sideMetrics = (app: string) => (metricName: string) => ({
  namespace: 'LoadApp',
  metricName,
  stable: { App: app, Side: 'stable' },
  canary: { App: app, Side: 'canary' },
});

async function route53Target(name: string, spec: Spec): Promise<Target> {
  // Each pair in its own zone: moto matches a weighted record by SetIdentifier across the zone.
  const zone = `${name}.example`;
  const zoneId = await createZone(zone);
  const record = `app.${zone}`;
  await createWeightedPair(zoneId, record, STABLE_IP, CANARY_IP);
  const sessions = sideMetrics(name);
  return {
    input: {
      target: {
        type: 'route53-weighted',
        hostedZoneId: zoneId,
        recordName: record,
        recordType: 'A',
        stable: 'primary',
        canary: 'canary',
        canaryValue: [CANARY_IP],
      },
      strategy: TWO_STEPS,
      analysis: { requests: sessions('Sessions'), errors: sessions('FailedSessions') },
    },
    traffic: (at) =>
      new TrafficSimulator({
        namespace: 'LoadApp',
        requestsMetric: 'Sessions',
        errorsMetric: 'FailedSessions',
        requestsPerMinute: 1000,
        seed: spec.trafficSeed,
        readSplit: recordSplit(zoneId, record, name, { [CANARY_IP]: errorRateOf(spec) }, 0.005, at),
        endpoint: at,
      }),
    readBack: async (at) => {
      const page = await new Route53Client({ endpoint: at }).send(
        new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }),
      );
      const pair = (page.ResourceRecordSets ?? []).filter((r) => r.Name === `${record}.` && r.Type === 'A');
      // The new fleet's share, whichever record serves it: a finalized promotion moves its address into
      // the stable record.
      const total = pair.reduce((sum, r) => sum + (r.Weight ?? 0), 0);
      const toNew = pair
        .filter((r) => r.ResourceRecords?.some((v) => v.Value === CANARY_IP))
        .reduce((sum, r) => sum + (r.Weight ?? 0), 0);
      return total === 0 ? 0 : toNew / total;
    },
  };
}

/** A listener rule forwarding to target groups blue (stable, weight 1) and green (canary, weight 0). */
async function elbTarget(name: string, spec: Spec): Promise<Target> {
  const rule = await createWeightedRule(name);
  return {
    // Judged on the kind's own defaults: AWS/ApplicationELB per target group.
    input: { target: { type: 'elb-weighted', ...rule }, strategy: TWO_STEPS },
    traffic: (at) =>
      albTraffic(rule, { [rule.canary]: errorRateOf(spec) }, { seed: spec.trafficSeed, endpoint: at }),
    readBack: async (at) => {
      const rules = await new ElasticLoadBalancingV2Client({ endpoint: at }).send(
        new DescribeRulesCommand({ RuleArns: [rule.ruleArn] }),
      );
      const forward = rules.Rules?.[0]?.Actions?.find((a) => a.Type === 'forward');
      const groups = forward?.ForwardConfig?.TargetGroups ?? [];
      const weight = (arn: string) => groups.find((g) => g.TargetGroupArn === arn)?.Weight ?? 0;
      const total = groups.reduce((sum, g) => sum + (g.Weight ?? 0), 0);
      return total === 0 ? 0 : weight(rule.canary) / total;
    },
  };
}

/**
 * Stage `prod` on a first deployment, the release a second. Judged on the app's own metrics per side,
 * which CloudWatch must already list (API Gateway's canary series are not documented, so Plan refuses
 * series it does not list): one datapoint each, hours before the run's windows.
 */
async function apiGatewayTarget(name: string, spec: Spec): Promise<Target> {
  const api = await restApiWithDeployments(name);
  const release = api.releases[0] ?? '';
  const metric = sideMetrics(name);
  await listSideMetrics(name, ['Requests', 'Errors']);
  return {
    input: {
      target: {
        type: 'apigateway-canary',
        restApiId: api.restApiId,
        stageName: 'prod',
        deploymentId: release,
      },
      strategy: 'Canary10Percent5Minutes',
      analysis: { requests: metric('Requests'), errors: metric('Errors') },
    },
    traffic: (at) =>
      new TrafficSimulator({
        namespace: 'LoadApp',
        requestsMetric: 'Requests',
        errorsMetric: 'Errors',
        requestsPerMinute: 1000,
        seed: spec.trafficSeed,
        readSplit: stageSplit(api.restApiId, 'prod', name, { [release]: errorRateOf(spec) }, 0.005, at),
        endpoint: at,
      }),
    readBack: async (at) => {
      const stage = await new APIGatewayClient({ endpoint: at }).send(
        new GetStageCommand({ restApiId: api.restApiId, stageName: 'prod' }),
      );
      const canary = stage.canarySettings;
      const percent = canary ? (canary.percentTraffic ?? 0) / 100 : 0;
      if (stage.deploymentId === release) return canary && canary.deploymentId !== release ? 1 - percent : 1;
      return canary?.deploymentId === release ? percent : 0;
    },
  };
}

/**
 * A release of three targets: a Lambda alias whose version 2 is the spec's (healthy or faulty), a second
 * alias and a Route 53 pair, both healthy. A faulty release must end with all three on their baseline.
 */
async function releaseTarget(name: string, spec: Spec): Promise<Target> {
  const healthy = (offset: number): Spec => ({
    ...spec,
    faulty: false,
    trafficSeed: spec.trafficSeed + offset,
  });
  const parts = [
    await lambdaAliasTarget(`${name}-a`, spec),
    await lambdaAliasTarget(`${name}-b`, healthy(1)),
    await route53Target(`${name}-c`, healthy(2)),
  ];
  const [first, second, dns] = parts.map((p) => p.input);
  return {
    input: {
      release: name,
      targets: [first?.target, second?.target, { target: dns?.target, analysis: dns?.analysis }],
      strategy: TWO_STEPS,
    },
    traffic: (at) => {
      const each = parts.map((p) => p.traffic(at));
      return {
        simulate: async (from, to) => {
          for (const one of each) await one.simulate(from, to);
        },
      };
    },
    // One share when every target reads back the same; targets that disagree (a release half promoted)
    // are a split service, read as 0.5.
    readBack: async (at) => {
      const shares = await Promise.all(parts.map((p) => p.readBack(at)));
      return shares.every((share) => share === shares[0]) ? (shares[0] ?? 0) : 0.5;
    },
  };
}

/** One datapoint per side and metric, a day back: CloudWatch lists the series from then on. */
async function listSideMetrics(app: string, metricNames: string[]): Promise<void> {
  const cloudWatch = new CloudWatchClient({});
  try {
    await cloudWatch.send(
      new PutMetricDataCommand({
        Namespace: 'LoadApp',
        MetricData: metricNames.flatMap((MetricName) =>
          ['stable', 'canary'].map((side) => ({
            MetricName,
            Dimensions: [
              { Name: 'App', Value: app },
              { Name: 'Side', Value: side },
            ],
            Timestamp: new Date(Date.now() - 24 * 3_600_000),
            Value: 0,
            Unit: 'Count' as const,
          })),
        ),
      }),
    );
  } finally {
    cloudWatch.destroy();
  }
}

/** Runs the given rollouts at once on one timeline behind a fresh quota emulator. */
async function runPhase(
  all: Spec[],
  targets: Target[],
  quotas: readonly QuotaGroup[],
  { emulator, deps, motoEndpoint }: { emulator: QuotaEmulator; deps: Deps; motoEndpoint: string },
  timelines: 'shared' | 'own-timelines' = 'shared',
): Promise<{ runs: RolloutRun[]; calls: CallRecord[] }> {
  // Three hours back: every window the checks read is within CloudWatch's recent range.
  const start = new Date(floorToMinute(new Date()).getTime() - 3 * 3_600_000);
  const shared = new SharedTimeline(start);
  emulator.reset(shared.now, quotas);
  const members = all.map(() => (timelines === 'shared' ? shared : new SharedTimeline(start)).join());
  const runs = await Promise.all(
    all.map((spec, i) => {
      const member = members[i] as TimelineMember;
      return member.run(() => runRollout(spec, targets[i], member, { emulator, deps, motoEndpoint }));
    }),
  );
  return { runs, calls: [...emulator.calls] };
}

async function runRollout(
  spec: Spec,
  target: Target | undefined,
  member: TimelineMember,
  { emulator, deps, motoEndpoint }: { emulator: QuotaEmulator; deps: Deps; motoEndpoint: string },
): Promise<RolloutRun> {
  try {
    if (!target) throw new Error(`no target for rollout ${spec.index}`);
    const clock = member.clock();
    const traffic = target.traffic(motoEndpoint);
    clock.onAdvance((from, to) => traffic.simulate(from, to));
    await member.until(clock.now().getTime() + spec.startOffset * 1000);
    const begin = clock.now().getTime();
    // The runner is Step Functions here, in-process: its start and each state entered or retried (each
    // a state transition, as AWS counts them) are metered against Step Functions' buckets.
    const actor = `rollout-${spec.index}`;
    emulator.meter('states', 'StartExecution', actor);
    const result = await runLocal({
      input: target.input,
      deps: { ...deps, clock, router: routersOn(member) },
      virtualClock: clock,
      executionName: `load-${spec.index}-${Math.random().toString(36).slice(2, 8)}`,
      onEvent: (event) => {
        if (event.type === 'StateEntered' || event.type === 'StateRetried')
          emulator.meter('states', 'StateTransition', actor);
      },
    });
    const report = toReport(result);
    const readBack = await target.readBack(motoEndpoint);
    const virtualMinutes = (clock.now().getTime() - begin) / 60_000;
    return { spec, report, readBack, path: result.path, virtualMinutes };
  } finally {
    member.leave();
  }
}

/**
 * fledge's routers, the ELB router's own waits (its throttling retries and its read-back polls) slept on
 * the rollout's timeline: slept on the wall clock, each held every other rollout's time still.
 */
function routersOn(member: TimelineMember): Deps['router'] {
  const clock = member.clock();
  const sleep = (ms: number) => member.until(clock.now().getTime() + ms);
  return (target) =>
    target.type === 'elb-weighted'
      ? new ElbWeightedRouter(target, elbClient(), { sleep })
      : createRouter(target);
}

/** fledge's SDK clients (one per service per process) count their calls and sleep their backoffs on the timeline. */
async function putFledgeClientsOnTimeline(): Promise<void> {
  const clients = [
    lambdaClient,
    cloudWatchClient,
    route53Client,
    dynamoDbClient,
    eventBridgeClient,
    elbClient,
    sfnClient,
    apiGatewayClient,
  ];
  for (const client of clients) await putOnTimeline(client());
}

/** A small seeded generator, so a seed always gives the same rollouts. */
export function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

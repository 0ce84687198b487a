/**
 * The load bench's engine: N rollouts started within one virtual minute against moto behind the quota
 * emulator, all in this process on one shared virtual timeline, then each again alone (no load, full
 * quotas) with the same seed, to compare outcomes. `npm run bench:load` prints it (bench/load-cli.ts);
 * test/load runs a small version.
 */
import { GetAliasCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { runLocal } from '../cli/local/runner';
import { type RunReport, toReport } from '../cli/reports/progress';
import { wireDeps } from '../cli/shared/wiring';
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
import { aliasSplit, recordSplit, TrafficSimulator } from '../local/traffic';
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

/** How many rollouts AWS's quotas are scaled for: N rollouts run at N/300 of each quota. */
export const ACCOUNT_ROLLOUTS = 300;

export interface LoadOptions {
  rollouts: number;
  seed: number;
  /** moto's endpoint (fixtures and simulated traffic go there directly, past the quotas). */
  motoEndpoint: string;
  /** Share of rollouts on Route 53 weighted pairs (the rest are Lambda aliases). */
  route53Share?: number;
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

export interface Spec {
  index: number;
  kind: 'lambda-alias' | 'route53-weighted';
  faulty: boolean;
  /** Seconds after the first start. */
  startOffset: number;
  trafficSeed: number;
}

export interface RolloutRun {
  spec: Spec;
  report: RunReport;
  /** The canary's share read back from moto once the run ended (0-1). */
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
  aloneCalls: Record<Spec['kind'], CallRecord[]>;
  wallSeconds: number;
}

export function specs(options: LoadOptions): Spec[] {
  const random = mulberry32(options.seed);
  return Array.from({ length: options.rollouts }, (_, index) => ({
    index,
    kind: random() < (options.route53Share ?? 0.2) ? 'route53-weighted' : 'lambda-alias',
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
    const aloneCalls: LoadResult['aloneCalls'] = { 'lambda-alias': [], 'route53-weighted': [] };
    for (const kind of ['lambda-alias', 'route53-weighted'] as const) {
      const batch = all.filter((s) => s.kind === kind);
      const targets = batch.map((s) => aloneTargets[s.index] as Target);
      // AWS's groups, a million times over: each call is named by its group, and none binds.
      const one = await runPhase(batch, targets, scaleQuotas(AWS_QUOTAS, 1e6), phase, 'own-timelines');
      alone.push(...one.runs);
      aloneCalls[kind] = one.calls;
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
  traffic: (endpoint: string) => TrafficSimulator;
  readBack: (endpoint: string) => Promise<number>;
}

const STABLE_IP = '192.0.2.10';
const CANARY_IP = '192.0.2.11';

async function createTargets(all: Spec[], phase: string): Promise<Target[]> {
  const targets: Target[] = [];
  for (const spec of all) {
    const name = `load-${phase}-${spec.index}`;
    const errorRate = spec.faulty ? 0.05 : 0.005;
    if (spec.kind === 'lambda-alias') {
      await createFunctionWithAlias(name, 'live', 2);
      targets.push({
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
            readSplit: aliasSplit(name, 'live', { '2': errorRate }, 0.005, at),
            endpoint: at,
          }),
        readBack: async (at) => {
          const alias = await new LambdaClient({ endpoint: at }).send(
            new GetAliasCommand({ FunctionName: name, Name: 'live' }),
          );
          if (alias.FunctionVersion === '2') return 1;
          return alias.RoutingConfig?.AdditionalVersionWeights?.['2'] ?? 0;
        },
      });
      continue;
    }
    // Each pair in its own zone: moto matches a weighted record by SetIdentifier across the zone.
    const zone = `${name}.example`;
    const zoneId = await createZone(zone);
    const record = `app.${zone}`;
    await createWeightedPair(zoneId, record, STABLE_IP, CANARY_IP);
    const sessions = (metricName: string) => ({
      namespace: 'LoadApp',
      metricName,
      stable: { App: name, Side: 'stable' },
      canary: { App: name, Side: 'canary' },
    });
    targets.push({
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
        strategy: {
          steps: [
            { weight: 10, bakeMinutes: 3 },
            { weight: 50, bakeMinutes: 3 },
          ],
        },
        analysis: { requests: sessions('Sessions'), errors: sessions('FailedSessions') },
      },
      traffic: (at) =>
        new TrafficSimulator({
          namespace: 'LoadApp',
          requestsMetric: 'Sessions',
          errorsMetric: 'FailedSessions',
          requestsPerMinute: 1000,
          seed: spec.trafficSeed,
          readSplit: recordSplit(zoneId, record, name, { [CANARY_IP]: errorRate }, 0.005, at),
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
    });
  }
  return targets;
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
      deps: { ...deps, clock },
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

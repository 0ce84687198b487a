/**
 * `npm run demo`: eight real runs against moto on the virtual clock, through the real state machine.
 * A Lambda alias: a healthy version is promoted, a faulty one (10x the errors) rolled back. A two-fleet
 * app behind Route 53 weighted records: a healthy fleet reaches 100% and is finalized, a faulty one is
 * sent back to the stable fleet. Two target groups behind an ALB rule: a healthy one promoted, a faulty
 * one rolled back. A release of three functions (orders, payments, shipping) moved as one: healthy, all
 * three promoted; with payments faulty, all three rolled back, the healthy two included. Simulated
 * traffic follows the split as it really is in moto.
 */
import { GetAliasCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { runLocal } from '../cli/local/runner';
import { printProgress, type RunReport, toReport } from '../cli/reports/progress';
import { defaultDeps } from '../cli/shared/wiring';
import { createWeightedRule, ruleWeights } from '../local/elb-fixtures';
import { createFunctionWithAlias } from '../local/fixtures';
import { startMoto, useEndpoint } from '../local/moto';
import { createWeightedPair, createZone, listRecords } from '../local/route53-fixtures';
import { albTraffic, aliasSplit, recordSplit, TrafficSimulator } from '../local/traffic';
import { floorToMinute, VirtualClock } from '../shared/core/clock';

const started = Date.now();
const MEDIA = 'media.webrtc.example';

interface Rollout {
  title: string;
  expected: RunReport['outcome'];
  input: Record<string, unknown>;
  show: () => Promise<string>;
}

console.log('fledge demo: starting moto on loopback...');
const moto = await startMoto();
let failed = false;
try {
  useEndpoint(moto.endpoint);
  const clock = new VirtualClock(new Date(floorToMinute(new Date()).getTime() - 3 * 3_600_000));
  const deps = { ...defaultDeps(), clock };

  // A Lambda function with three versions behind alias "live" (on version 1).
  await createFunctionWithAlias('checkout', 'live', 3);
  const lambdaTraffic = new TrafficSimulator({
    namespace: 'AWS/Lambda',
    requestsMetric: 'Invocations',
    errorsMetric: 'Errors',
    requestsPerMinute: 1000,
    seed: 7,
    readSplit: aliasSplit('checkout', 'live', { '3': 0.05 }, 0.005),
  });
  // A WebRTC media service on two fleets behind weighted A records: "primary" (stable) and "canary".
  const zoneId = await createZone('webrtc.example');
  await createWeightedPair(zoneId, MEDIA, '192.0.2.10', '192.0.2.11');
  const mediaTraffic = new TrafficSimulator({
    namespace: 'MediaApp',
    requestsMetric: 'Sessions',
    errorsMetric: 'FailedSessions',
    requestsPerMinute: 1000,
    seed: 11,
    readSplit: recordSplit(zoneId, MEDIA, 'media', { '192.0.2.30': 0.05 }, 0.005),
  });
  // A shop on two load balancers, each with a rule forwarding to target groups blue (stable, weight 1)
  // and green (canary, weight 0): one green fleet is healthy, the other fails 5% of requests.
  const shops = { good: await createWeightedRule('shop-good'), bad: await createWeightedRule('shop-bad') };
  const shopTraffic = Object.values(shops).map((shop, i) =>
    albTraffic(shop, { [shops.bad.canary]: 0.05 }, { seed: 13 + i }),
  );
  // A service of three functions released together, each with versions 1-3 behind alias "live"; version
  // 3 of payments fails 5% of its invocations.
  const SERVICE = ['orders', 'payments', 'shipping'] as const;
  for (const fn of SERVICE) await createFunctionWithAlias(fn, 'live', 3);
  const serviceTraffic = SERVICE.map(
    (fn, i) =>
      new TrafficSimulator({
        namespace: 'AWS/Lambda',
        requestsMetric: 'Invocations',
        errorsMetric: 'Errors',
        requestsPerMinute: 1000,
        seed: 17 + i,
        readSplit: aliasSplit(fn, 'live', fn === 'payments' ? { '3': 0.05 } : {}, 0.005),
      }),
  );
  clock.onAdvance(async (from, to) => {
    await lambdaTraffic.simulate(from, to);
    for (const fn of serviceTraffic) await fn.simulate(from, to);
    await mediaTraffic.simulate(from, to);
    for (const shop of shopTraffic) await shop.simulate(from, to);
  });
  console.log(
    `created function checkout (versions 1-3, alias live → 1) and zone webrtc.example on ${moto.endpoint}`,
  );

  const lambdaTarget = (version: string) => ({
    type: 'lambda-alias',
    functionName: 'checkout',
    alias: 'live',
    version,
  });
  const showAlias = async () => {
    const alias = await new LambdaClient({}).send(
      new GetAliasCommand({ FunctionName: 'checkout', Name: 'live' }),
    );
    return `alias live: version ${alias.FunctionVersion}, routing ${JSON.stringify(alias.RoutingConfig?.AdditionalVersionWeights ?? {})}`;
  };
  const sessions = (metricName: string) => ({
    namespace: 'MediaApp',
    metricName,
    stable: { App: 'media', Side: 'stable' },
    canary: { App: 'media', Side: 'canary' },
  });
  const mediaRelease = (fleet: string) => ({
    target: {
      type: 'route53-weighted',
      hostedZoneId: zoneId,
      recordName: MEDIA,
      recordType: 'A',
      stable: 'primary',
      canary: 'canary',
      canaryValue: [fleet],
    },
    strategy: {
      steps: [
        { weight: 10, bakeMinutes: 2 },
        { weight: 50, bakeMinutes: 2 },
      ],
    },
    analysis: { requests: sessions('Sessions'), errors: sessions('FailedSessions') },
  });
  const showRecords = async () =>
    (await listRecords(zoneId))
      .filter((r) => r.Name === `${MEDIA}.`)
      .map(
        (r) =>
          `${r.SetIdentifier} → ${r.ResourceRecords?.map((v) => v.Value).join(',')} (weight ${r.Weight})`,
      )
      .join(', ');

  const shopRelease = (shop: keyof typeof shops) => ({
    target: { type: 'elb-weighted', ...shops[shop] },
    strategy: {
      steps: [
        { weight: 12.5, bakeMinutes: 2 },
        { weight: 50, bakeMinutes: 2 },
      ],
    },
  });
  const showShop = (shop: keyof typeof shops) => async () =>
    `rule weights ${JSON.stringify(await ruleWeights(shops[shop].ruleArn))}`;

  const serviceRelease = (version: string) => ({
    release: `service-v${version}`,
    targets: SERVICE.map((fn) => ({ type: 'lambda-alias', functionName: fn, alias: 'live', version })),
    strategy: 'Canary10Percent5Minutes',
  });
  const showService = async () => {
    const lambda = new LambdaClient({});
    const aliases = await Promise.all(
      SERVICE.map((fn) => lambda.send(new GetAliasCommand({ FunctionName: fn, Name: 'live' }))),
    );
    return aliases
      .map(
        (a, i) =>
          `${SERVICE[i]}:live → ${a.FunctionVersion}${a.RoutingConfig?.AdditionalVersionWeights ? ` ${JSON.stringify(a.RoutingConfig.AdditionalVersionWeights)}` : ''}`,
      )
      .join(', ');
  };

  const rollouts: Rollout[] = [
    {
      title: 'Lambda: healthy version 2 (0.5% errors, like the baseline), Linear10PercentEvery1Minute',
      expected: 'promoted',
      input: { target: lambdaTarget('2'), strategy: 'Linear10PercentEvery1Minute' },
      show: showAlias,
    },
    {
      title: 'Lambda: faulty version 3 (5% errors, 10x the baseline), Canary10Percent5Minutes',
      expected: 'rolled-back',
      input: { target: lambdaTarget('3'), strategy: 'Canary10Percent5Minutes' },
      show: showAlias,
    },
    {
      title: 'Route 53: healthy fleet 192.0.2.20 for media.webrtc.example, 10% then 50%',
      expected: 'promoted',
      input: mediaRelease('192.0.2.20'),
      show: showRecords,
    },
    {
      title: 'Route 53: faulty fleet 192.0.2.30 (5% failed sessions), 10% then 50%',
      expected: 'rolled-back',
      input: mediaRelease('192.0.2.30'),
      show: showRecords,
    },
    {
      title: 'ELB: healthy target group shop-good-green behind an ALB rule, 12.5% then 50%',
      expected: 'promoted',
      input: shopRelease('good'),
      show: showShop('good'),
    },
    {
      title: 'ELB: faulty target group shop-bad-green (5% 5xx), 12.5% then 50%',
      expected: 'rolled-back',
      input: shopRelease('bad'),
      show: showShop('bad'),
    },
    {
      title: 'Release: orders, payments and shipping version 2, all healthy, Canary10Percent5Minutes',
      expected: 'promoted',
      input: serviceRelease('2'),
      show: showService,
    },
    {
      title: 'Release: orders, payments and shipping version 3, payments faulty (5% errors)',
      expected: 'rolled-back',
      input: serviceRelease('3'),
      show: showService,
    },
  ];
  const reports: RunReport[] = [];
  for (const rollout of rollouts) {
    console.log(`\n== ${rollout.title}, 1000 requests/min`);
    const result = await runLocal({
      input: rollout.input,
      deps,
      virtualClock: clock,
      onEvent: printProgress(false, { now: () => clock.now() }),
    });
    const report = toReport(result);
    reports.push(report);
    console.log(`=> ${report.outcome}: ${report.reason}`);
    console.log(`   now: ${await rollout.show()}`);
  }
  failed = reports.some((r, i) => r.outcome !== rollouts[i]?.expected);
  console.log('\nsummary:');
  reports.forEach((r, i) => {
    const minutes =
      r.startedAt && r.finishedAt
        ? Number(((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 60_000).toFixed(1))
        : NaN;
    console.log(
      `  ${rollouts[i]?.title}: ${r.outcome} after ${minutes} simulated minutes, ${r.checks} checks`,
    );
  });
  console.log(`demo finished in ${((Date.now() - started) / 1000).toFixed(1)}s wall time`);
} finally {
  await moto.stop();
}
if (failed) {
  console.error('demo: an outcome was not the expected one');
  process.exitCode = 1;
}

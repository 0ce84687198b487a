/**
 * `npm run demo`: two real rollouts against moto on the virtual clock. A healthy version is promoted;
 * a faulty one (10x the error rate) is rolled back. Simulated traffic follows the alias's real weights.
 */
import { GetAliasCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { runLocal } from '../cli/local-runner';
import { describeEvent, type RunReport, toReport } from '../cli/report';
import { createFunctionWithAlias } from '../local/fixtures';
import { startMoto, useEndpoint } from '../local/moto';
import { AliasTrafficSimulator } from '../local/traffic';
import { floorToMinute, VirtualClock } from '../shared/clock';
import { defaultDeps } from '../shared/deps';

const started = Date.now();
console.log('fledge demo: starting moto on loopback...');
const moto = await startMoto();
let failed = false;
try {
  useEndpoint(moto.endpoint);
  const fixture = await createFunctionWithAlias('checkout', 'live', 3);
  console.log(
    `created function checkout (versions ${fixture.versions.join(', ')}), alias live → 1, on ${moto.endpoint}`,
  );

  const clock = new VirtualClock(new Date(floorToMinute(new Date()).getTime() - 3 * 3_600_000));
  const traffic = new AliasTrafficSimulator({
    functionName: 'checkout',
    alias: 'live',
    requestsPerMinute: 1000,
    errorRates: { '3': 0.05 },
    defaultErrorRate: 0.005,
    seed: 7,
  });
  clock.onAdvance((from, to) => traffic.simulate(from, to));
  const deps = { ...defaultDeps(), clock };

  const rollouts = [
    {
      title: 'healthy version 2 (0.5% errors, like the baseline)',
      version: '2',
      strategy: 'Linear10PercentEvery1Minute',
    },
    {
      title: 'faulty version 3 (5% errors, 10x the baseline)',
      version: '3',
      strategy: 'Canary10Percent5Minutes',
    },
  ];
  const reports: RunReport[] = [];
  for (const rollout of rollouts) {
    console.log(`\n== rollout of ${rollout.title}, ${rollout.strategy}, 1000 requests/min`);
    const input = {
      target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: rollout.version },
      strategy: rollout.strategy,
    };
    const result = await runLocal({
      input,
      deps,
      virtualClock: clock,
      onEvent: (event) => {
        const line = describeEvent(event);
        if (line) console.log(line);
      },
    });
    const report = toReport(result);
    reports.push(report);
    const alias = await new LambdaClient({}).send(
      new GetAliasCommand({ FunctionName: 'checkout', Name: 'live' }),
    );
    console.log(`=> ${report.outcome}: ${report.reason}`);
    console.log(
      `   alias live now: version ${alias.FunctionVersion}, routing ${JSON.stringify(alias.RoutingConfig?.AdditionalVersionWeights ?? {})}`,
    );
  }
  const expected = ['promoted', 'rolled-back'];
  failed = reports.some((r, i) => r.outcome !== expected[i]);
  console.log('\nsummary:');
  reports.forEach((r, i) => {
    const minutes =
      r.startedAt && r.finishedAt ? (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 60_000 : NaN;
    console.log(
      `  ${rollouts[i]?.title}: ${r.outcome} after ${minutes} simulated minutes, ${r.checks} checks`,
    );
  });
  console.log(`demo finished in ${((Date.now() - started) / 1000).toFixed(1)}s wall time`);
} finally {
  await moto.stop();
}
if (failed) {
  console.error('demo: an outcome was not the expected one (promoted, then rolled-back)');
  process.exitCode = 1;
}

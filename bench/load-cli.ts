/**
 * `npm run bench:load [-- --rollouts N --seed S --route53 0.2 --elb 0.15 --apigateway 0.15 --release 0.05]`:
 * N rollouts (default 60; those shares of the target kinds and releases, the rest Lambda aliases) started
 * within one virtual minute, quotas scaled by N/300, against moto behind the quota emulator; then each alone. Prints the
 * goals, the calls per rollout per service, and which quota binds first at how many rollouts.
 */
import { parseArgs } from 'node:util';
import { startMoto } from '../local/moto';
import { ACCOUNT_ROLLOUTS, LOAD_KINDS, runLoad, STRATEGY_OF } from './load';
import { callsByOperation, capacity, goals } from './load-summary';

const { values } = parseArgs({
  options: {
    rollouts: { type: 'string', default: '60' },
    seed: { type: 'string', default: '1' },
    // Shares of the mix by target kind (the rest are Lambda aliases), e.g. --route53 0 --elb 1 for ELB only.
    route53: { type: 'string', default: '0.2' },
    elb: { type: 'string', default: '0.15' },
    apigateway: { type: 'string', default: '0.15' },
    release: { type: 'string', default: '0.05' },
  },
});
const rollouts = Number(values.rollouts);
const seed = Number(values.seed);
if (!Number.isInteger(rollouts) || rollouts < 1) throw new Error(`--rollouts must be a whole number above 0`);
const shares = {
  route53Share: share('route53'),
  elbShare: share('elb'),
  apiGatewayShare: share('apigateway'),
};
if (shares.route53Share + shares.elbShare + shares.apiGatewayShare > 1)
  throw new Error('--route53, --elb and --apigateway must add up to at most 1 (the rest are Lambda aliases)');

function share(name: 'route53' | 'elb' | 'apigateway' | 'release'): number {
  const value = Number(values[name]);
  if (!(value >= 0 && value <= 1))
    throw new Error(`--${name} must be a share from 0 to 1, got '${values[name]}'`);
  return value;
}

const moto = await startMoto();
try {
  const result = await runLoad({
    rollouts,
    seed,
    ...shares,
    motoEndpoint: moto.endpoint,
    log: (line) => console.log(line),
  });
  const g = goals(result);
  console.log(
    `\n${rollouts} rollouts within one virtual minute, seed ${seed}; every quota scaled by ${rollouts}/${ACCOUNT_ROLLOUTS} = ${result.scale.toFixed(3)} (two cores cannot carry ${ACCOUNT_ROLLOUTS}; the ratio is what matters)`,
  );
  const mix = (kind: string, faulty: boolean) =>
    result.loaded.filter((r) => r.spec.kind === kind && r.spec.faulty === faulty).length;
  console.log(
    `mix (healthy + faulty): ${LOAD_KINDS.map((kind) => `${kind} ${mix(kind, false)} + ${mix(kind, true)}`).join(', ')}`,
  );
  console.log(`outcomes matched (same seed alone)  ${g.outcomesMatched}/${g.rollouts}`);
  console.log(`rejected/failed by throttling       ${g.failedByThrottling}`);
  console.log(`neither promoted nor rolled back    ${g.notDecided}`);
  console.log(`targets left split                  ${g.leftSplit}`);
  console.log(`false conflicts                     ${g.falseConflicts}`);
  console.log(`weights reported but not read back  ${g.notReadBack}`);
  console.log(`requests throttled (then retried)   ${g.throttledRequests} of ${g.requests}`);
  for (const kind of LOAD_KINDS) {
    const ops = callsByOperation(result, kind);
    if (ops.size === 0) continue;
    console.log(
      `\n${kind} (${STRATEGY_OF[kind]}): API calls per rollout (SDK calls, alone; Step Functions' start and state transitions metered in-process)`,
    );
    for (const [op, n] of ops) console.log(`  ${op.padEnd(44)} ${n.toFixed(1)}`);
    console.log(`  quota use at AWS's full quotas, binding first:`);
    for (const use of capacity(result, kind)) {
      console.log(
        `  ${use.group.name.padEnd(28)} ${use.callsPerRollout.toFixed(1).padStart(6)} calls/rollout  ${use.group.perSecond}/s  → ${use.sustainedRollouts} rollouts in flight at once  (${use.throttledUnderLoad} of the group's requests throttled under load, every kind)`,
      );
    }
  }
  const first = LOAD_KINDS.flatMap((kind) =>
    capacity(result, kind)
      .slice(0, 1)
      .map((use) => `${kind}: ${use.group.name} at about ${use.sustainedRollouts} rollouts in flight`),
  );
  console.log(`\nbinds first (AWS's full quotas, calls spread over a rollout's life): ${first.join('; ')}`);
  console.log(`\nwall ${result.wallSeconds.toFixed(1)}s`);
  const ok =
    g.outcomesMatched === g.rollouts &&
    g.failedByThrottling === 0 &&
    g.leftSplit === 0 &&
    g.falseConflicts === 0 &&
    g.notReadBack === 0;
  if (!ok) {
    console.error('bench:load: a goal was missed');
    for (const [i, r] of result.loaded.entries())
      if (r.report.outcome !== result.alone[i]?.report.outcome)
        console.error(
          `  #${i} ${r.spec.kind}${r.spec.faulty ? ' faulty' : ''}: ${r.report.outcome} (alone: ${result.alone[i]?.report.outcome}) ${r.report.error ?? ''} ${r.report.reason}`,
        );
    process.exitCode = 1;
  }
} finally {
  await moto.stop();
}

/**
 * `npm run bench`: thousands of simulated rollouts per policy, world and strategy, through the same decision
 * code as evaluate-metrics for fledge. Seeded and deterministic; no AWS.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { DEFAULT_MAX_REGRESSION } from '../shared/core/schema';
import { resolveStrategy } from '../shared/core/strategy';
import { atMaxRegression, DRIFT_WORLDS, draws, WORLDS, type World, WorldRun } from './model';
import { controller, POLICIES, type PolicyName } from './policies';
import { releaseGoals, runReleaseBench } from './release';
import { type Row, summarize, svgChart, table } from './report';
import { simulateRollout } from './simulate';

export const STRATEGIES = ['Linear10PercentEvery1Minute', 'Canary10Percent5Minutes', 'Adaptive'] as const;

/** Traffic levels at which a canary exactly maxRegression worse is run: the guarantee holds at any. */
export const MAX_REGRESSION_TRAFFIC = [50, 200, 1000, 5000] as const;

/** Every world of the benchmark, with the max-regression ones at fledge's maxRegression (default: its default). */
export function allWorlds(maxRegression: { ratio?: number; floor?: number } = {}): World[] {
  const ratio = maxRegression.ratio ?? DEFAULT_MAX_REGRESSION.ratio;
  const floor = maxRegression.floor ?? DEFAULT_MAX_REGRESSION.floor;
  return [
    ...WORLDS,
    ...MAX_REGRESSION_TRAFFIC.map((traffic) => atMaxRegression(ratio, floor, traffic)),
    ...DRIFT_WORLDS,
  ];
}

/**
 * fledge with the previous default lag (2 minutes) is a comparison for item 7 of issue 9, run only where
 * the lag matters (how fast a regression is caught, and how long a healthy rollout takes).
 */
const ONLY_IN: Partial<Record<PolicyName, readonly string[]>> = {
  'fledge-lag2': ['healthy', '2x', '4x', '10x'],
};

export interface BenchOptions {
  runs: number;
  seed: number;
  policies?: readonly PolicyName[];
  worlds?: readonly World[];
  strategies?: readonly string[];
  /** fledge's analysis settings, for tuning; default: its defaults. */
  analysis?: Record<string, unknown>;
}

/** Runs every policy × strategy × world. */
export function runBench({
  runs,
  seed,
  policies = POLICIES,
  worlds = allWorlds(),
  strategies = STRATEGIES,
  analysis,
}: BenchOptions): Row[] {
  const rows: Row[] = [];
  policies.forEach((policy, pi) => {
    strategies.forEach((strategy, si) => {
      const steps = resolveStrategy(strategy);
      worlds.forEach((world, wi) => {
        if (ONLY_IN[policy] && !ONLY_IN[policy]?.includes(world.name)) return;
        const draw = draws(seed + 1_000_003 * pi + 10_007 * si + 101 * wi);
        const results = Array.from({ length: runs }, () => {
          const run = new WorldRun(world, draw);
          return simulateRollout(
            steps,
            controller(policy, { steps, world, run, ...(analysis ? { analysis } : {}) }),
            run,
          );
        });
        rows.push(
          summarize(
            {
              policy,
              world: world.name,
              strategy,
              trafficPerMinute: world.trafficPerMinute,
              worse: world.worse,
            },
            results,
          ),
        );
      });
    });
  });
  return rows;
}

/**
 * Healthy rollouts' median length before issue 9 (fledge with minExpectedErrors 5 and a 2-minute lag, same
 * worlds, seed 20261124): promotion on evidence may add at most two minutes to these.
 */
export const MEDIAN_MINUTES_BEFORE: Record<string, number> = {
  Linear10PercentEvery1Minute: 13,
  Canary10Percent5Minutes: 12,
};

/** The goals of issue 9, checked against the figures: what holds and what does not. */
export function goals(rows: readonly Row[]): string[] {
  const out: string[] = [];
  const get = (policy: string, world: string, strategy: string) =>
    rows.find((r) => r.policy === policy && r.world === world && r.strategy === strategy);
  const line = (text: string, ok: boolean | null) =>
    out.push(`${text} ${ok === null ? '' : mark(ok)}`.trim());
  const rolledBack = (world: string, strategy: string, note = '') => {
    const r = get('fledge', world, strategy);
    if (!r) return;
    const onVerdict = r.rolledBack - r.rolledBackForData;
    const split =
      r.rolledBackForData > 0
        ? ` (${pct(onVerdict)} on a regression verdict, ${pct(r.rolledBackForData)} for want of promotion evidence)`
        : '';
    line(
      `${strategy} ${world}${note}: fledge rolled back ${pct(r.rolledBack)}${split} (goal ≤ 1%)`,
      r.rolledBack <= 0.01,
    );
  };
  const promoted = (world: string, strategy: string, goal = true) => {
    const r = get('fledge', world, strategy);
    if (!r) return;
    line(
      `${strategy} ${world}: fledge promoted ${pct(r.promoted)}${goal ? ' (goal ≤ 1%)' : ''}`,
      goal ? r.promoted <= 0.01 : null,
    );
  };
  for (const strategy of STRATEGIES) {
    rolledBack('healthy', strategy, ' (newest minute 50-90% reported)');
    const healthy = get('fledge', 'healthy', strategy);
    const before = MEDIAN_MINUTES_BEFORE[strategy];
    if (healthy && before !== undefined) {
      line(
        `${strategy} healthy: median rollout ${healthy.medianRolloutMinutes} min (before: ${before}; goal ≤ ${before + 2})`,
        healthy.medianRolloutMinutes <= before + 2,
      );
    }
    for (const world of ['latency-σ0.5', 'latency-σ1', 'bursts-3', 'negbin-3', 'negbin-1'])
      rolledBack(world, strategy);
    const bursts10 = get('fledge', 'bursts-10', strategy);
    if (bursts10)
      line(`${strategy} bursts-10: fledge rolled back ${pct(bursts10.rolledBack)} (no goal)`, null);
    promoted('new-failure', strategy);
    for (const traffic of MAX_REGRESSION_TRAFFIC) promoted(`max-regression@${traffic}`, strategy);
    promoted('missing-errors', strategy);
    promoted('2x', strategy, false);
    // The history part's assumption broken (Adaptive uses it; the fixed schedules do not): a measure of
    // what that costs, not one of the issue's goals, so it is reported without one.
    promoted('baseline-fell', strategy, false);
    rolledBack('baseline-rose', strategy);
    const slowdown = get('fledge', 'slowdown-1.5x', strategy);
    if (slowdown)
      line(`${strategy} slowdown-1.5x: fledge rolled back ${pct(slowdown.rolledBack)} (no goal)`, null);
  }
  adaptiveGoals(get, line);
  const strategy = 'Linear10PercentEvery1Minute';
  const ours = get('fledge', '4x', strategy);
  const oracle = get('oracle-sprt', '4x', strategy);
  const usable = rows.filter(
    (r) =>
      r.strategy === strategy &&
      r.world === '4x' &&
      !r.policy.startsWith('fledge') &&
      r.policy !== 'oracle-sprt' &&
      (get(r.policy, 'healthy', strategy)?.rolledBack ?? 1) <= 0.05 &&
      r.medianFailedRequests !== null,
  );
  const best = usable.sort((a, b) => (a.medianFailedRequests ?? 0) - (b.medianFailedRequests ?? 0))[0];
  if (ours?.medianFailedRequests != null && oracle?.medianFailedRequests != null) {
    const vsOracle = ours.medianFailedRequests / Math.max(1, oracle.medianFailedRequests);
    line(
      `${strategy} 4x: failed canary requests before rollback, fledge ${ours.medianFailedRequests}, oracle ${oracle.medianFailedRequests} (×${vsOracle.toFixed(2)}, goal ≤ 1.5)`,
      vsOracle <= 1.5,
    );
    line(
      `${strategy} 4x: best anchor with ≤ 5% false rollbacks: ${best ? `${best.policy} ${best.medianFailedRequests}` : 'none'} (goal: fledge ≤ it)`,
      best?.medianFailedRequests == null || ours.medianFailedRequests <= best.medianFailedRequests,
    );
    const lag2 = get('fledge-lag2', '4x', strategy);
    if (lag2)
      line(
        `${strategy} 4x: fledge with metricLagMinutes 2: ${lag2.medianFailedRequests} failed requests (no goal)`,
        null,
      );
  } else {
    line(`${strategy} 4x: fledge or the oracle never rolled back; no failed-request comparison`, false);
  }
  return out;
}

/** Issue 21's goals for the adaptive ramp: fewer failed requests on a 4x canary, a healthy one promoted sooner. */
function adaptiveGoals(
  get: (policy: string, world: string, strategy: string) => Row | undefined,
  line: (text: string, ok: boolean | null) => void,
): void {
  const fourX = get('fledge', '4x', 'Adaptive');
  const healthy = get('fledge', 'healthy', 'Adaptive');
  if (fourX)
    line(
      `Adaptive 4x: median failed canary requests before rollback ${fourX.medianFailedRequests ?? '-'} (goal ≤ 18)`,
      fourX.medianFailedRequests !== null && fourX.medianFailedRequests <= 18,
    );
  if (healthy)
    line(
      `Adaptive healthy: median rollout ${healthy.medianRolloutMinutes} min (goal ≤ 6)`,
      healthy.medianRolloutMinutes !== null && healthy.medianRolloutMinutes <= 6,
    );
}

const pct = (v: number | null | undefined) =>
  v === null || v === undefined ? '-' : `${(v * 100).toFixed(2)}%`;
const mark = (ok: boolean) => (ok ? 'met' : 'MISSED');

async function main(): Promise<void> {
  const program = new Command()
    .name('bench')
    .description(
      'Policy benchmark: fledge against CodeDeploy-, Flagger- and Kayenta-style anchors and an oracle.',
    )
    .option('--runs <n>', 'rollouts per policy, strategy and world', (v) => Number.parseInt(v, 10), 2000)
    .option('--seed <n>', 'random seed', (v) => Number.parseInt(v, 10), 20261124)
    .option('--policies <names>', `comma-separated subset of ${POLICIES.join(', ')}`)
    .option('--worlds <names>', 'comma-separated subset of the worlds')
    .option(
      '--analysis <json>',
      'fledge\'s analysis input, e.g. \'{"maxRegression":{"ratio":5}}\' (default: its defaults)',
    )
    .option('--json', 'print the results as one JSON object on the last line')
    .option('--out <dir>', 'where to write bench.json and bench-*.svg', 'results')
    .parse();
  const options = program.opts<{
    runs: number;
    seed: number;
    policies?: string;
    worlds?: string;
    analysis?: string;
    json?: boolean;
    out: string;
  }>();
  const analysis = options.analysis ? (JSON.parse(options.analysis) as Record<string, unknown>) : undefined;
  const policies = options.policies
    ? (options.policies.split(',') as PolicyName[]).filter((p) => POLICIES.includes(p))
    : POLICIES;
  const every = allWorlds((analysis?.maxRegression ?? {}) as { ratio?: number; floor?: number });
  const worlds = options.worlds ? every.filter((w) => options.worlds?.split(',').includes(w.name)) : every;
  const started = Date.now();
  const rows = runBench({
    runs: options.runs,
    seed: options.seed,
    policies,
    worlds,
    ...(analysis ? { analysis } : {}),
  });
  // Releases of several targets (issue 20): the same runs per row, every strategy a release takes (Plan
  // refuses Adaptive for a release: validateReleaseInput).
  const releases = options.worlds
    ? []
    : runReleaseBench(
        options.runs,
        options.seed,
        STRATEGIES.filter((name) => name !== 'Adaptive').map((name) => ({
          name,
          steps: resolveStrategy(name),
        })),
        draws,
      );
  const seconds = (Date.now() - started) / 1000;
  mkdirSync(options.out, { recursive: true });
  const result = {
    runs: options.runs,
    seed: options.seed,
    ...(analysis ? { analysis } : {}),
    seconds,
    results: rows,
    goals: goals(rows),
    releases,
    releaseGoals: releaseGoals(releases),
  };
  writeFileSync(`${options.out}/bench.json`, `${JSON.stringify(result, null, 2)}\n`);
  for (const strategy of STRATEGIES)
    writeFileSync(`${options.out}/bench-${strategy}.svg`, `${svgChart(rows, strategy)}\n`);
  if (options.json) {
    console.log(JSON.stringify({ results: rows, goals: goals(rows) }));
    return;
  }
  console.log(table(rows));
  console.log(
    `\n${options.runs} rollouts per row, seed ${options.seed}, ${seconds.toFixed(1)}s; wrote ${options.out}/bench.json and charts`,
  );
  for (const line of [...goals(rows), ...releaseGoals(releases)]) console.log(`- ${line}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();

/**
 * `npm run bench`: thousands of simulated rollouts per policy and scenario, through the same decision
 * code as evaluate-metrics for fledge. Seeded and deterministic; no AWS.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { resolveStrategy } from '../shared/core/strategy';
import { BASELINE_RATE, SCENARIOS, type Scenario, sampler } from './model';
import { controller, POLICIES, type PolicyName } from './policies';
import { type Row, summarize, svgChart, table } from './report';
import { type RolloutResult, simulateRollout } from './simulate';

export const STRATEGIES = ['Linear10PercentEvery1Minute', 'Canary10Percent5Minutes'] as const;

export interface BenchOptions {
  runs: number;
  seed: number;
  policies?: readonly PolicyName[];
  /** fledge's analysis settings, for tuning; default: its defaults. */
  analysis?: Record<string, unknown>;
}

/** Runs every policy × strategy × scenario; the healthy runs at each traffic level give false rollbacks. */
export function runBench({ runs, seed, policies = POLICIES, analysis }: BenchOptions): Row[] {
  const rows: Row[] = [];
  policies.forEach((policy, pi) => {
    STRATEGIES.forEach((strategy, si) => {
      const steps = resolveStrategy(strategy);
      const healthy = new Map<number, RolloutResult[]>();
      const runScenario = (scenario: Scenario, index: number) => {
        const draw = sampler(scenario, seed + 1_000_003 * pi + 10_007 * si + 101 * index);
        return Array.from({ length: runs }, () =>
          simulateRollout(
            steps,
            controller(policy, { steps, scenario, ...(analysis ? { analysis } : {}) }),
            draw,
          ),
        );
      };
      for (const traffic of new Set(SCENARIOS.map((s) => s.trafficPerMinute))) {
        const scenario: Scenario = {
          name: 'healthy',
          baselineRate: BASELINE_RATE,
          canaryRate: BASELINE_RATE,
          trafficPerMinute: traffic,
        };
        healthy.set(traffic, runScenario(scenario, traffic === 1000 ? 0 : 99));
      }
      SCENARIOS.forEach((scenario, index) => {
        const results =
          scenario.name === 'healthy'
            ? (healthy.get(scenario.trafficPerMinute) ?? [])
            : runScenario(scenario, index);
        rows.push(
          summarize(
            { policy, scenario: scenario.name, strategy, trafficPerMinute: scenario.trafficPerMinute },
            results,
            healthy.get(scenario.trafficPerMinute) ?? [],
            scenario.canaryRate > scenario.baselineRate,
          ),
        );
      });
    });
  });
  return rows;
}

/** The goals, checked against the figures: what holds and what does not. */
export function goals(rows: readonly Row[]): string[] {
  const out: string[] = [];
  const get = (policy: string, scenario: string, strategy: string) =>
    rows.find((r) => r.policy === policy && r.scenario === scenario && r.strategy === strategy);
  for (const strategy of STRATEGIES) {
    const healthy = get('fledge', 'healthy', strategy);
    const fourX = get('fledge', '4x', strategy);
    out.push(
      `${strategy}: fledge false rollbacks ${pct(healthy?.falseRollbackRate)} (goal ≤ 1%) ${mark((healthy?.falseRollbackRate ?? 1) <= 0.01)}`,
    );
    out.push(
      `${strategy}: fledge detects 4x ${pct(fourX?.detectionRate)} (goal ≥ 99%) ${mark((fourX?.detectionRate ?? 0) >= 0.99)}`,
    );
    for (const scenario of ['2x', '4x', '10x', 'low-traffic']) {
      const ours = get('fledge', scenario, strategy);
      const oracle = get('oracle-sprt', scenario, strategy);
      const usable = rows.filter(
        (r) =>
          r.strategy === strategy &&
          r.scenario === scenario &&
          !['fledge', 'oracle-sprt'].includes(r.policy) &&
          r.falseRollbackRate <= 0.05,
      );
      const failed = (r: Row) => r.medianFailedRequests ?? Number.POSITIVE_INFINITY;
      const best = usable
        .filter((r) => r.medianFailedRequests !== null)
        .sort((a, b) => failed(a) - failed(b))[0];
      if (!ours || !oracle || ours.medianFailedRequests === null || oracle.medianFailedRequests === null) {
        out.push(
          `${strategy} ${scenario}: fledge or the oracle never rolled back; no failed-request comparison`,
        );
        continue;
      }
      const vsOracle = ours.medianFailedRequests / Math.max(1, oracle.medianFailedRequests);
      out.push(
        `${strategy} ${scenario}: failed requests fledge ${ours.medianFailedRequests}, oracle ${oracle.medianFailedRequests} ` +
          `(×${vsOracle.toFixed(2)}, goal ≤ 1.5 ${mark(vsOracle <= 1.5)}); best usable anchor ` +
          (best
            ? `${best.policy} ${best.medianFailedRequests} at ${pct(best.detectionRate)} detection (fledge/anchor ${(ours.medianFailedRequests / Math.max(1, failed(best))).toFixed(2)}, goal ≤ 0.33 ${mark(ours.medianFailedRequests <= failed(best) / 3)})`
            : 'none with ≤ 5% false rollbacks'),
      );
    }
  }
  return out;
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
    .option('--runs <n>', 'rollouts per policy, strategy and scenario', (v) => Number.parseInt(v, 10), 2000)
    .option('--seed <n>', 'random seed', (v) => Number.parseInt(v, 10), 20261124)
    .option('--json', 'print the results as one JSON object on the last line')
    .option('--out <dir>', 'where to write bench.json and bench-*.svg', 'results')
    .parse();
  const options = program.opts<{ runs: number; seed: number; json?: boolean; out: string }>();
  const started = Date.now();
  const rows = runBench({ runs: options.runs, seed: options.seed });
  const seconds = (Date.now() - started) / 1000;
  mkdirSync(options.out, { recursive: true });
  const result = { runs: options.runs, seed: options.seed, lagMinutes: 2, seconds, results: rows };
  writeFileSync(`${options.out}/bench.json`, `${JSON.stringify(result, null, 2)}\n`);
  for (const strategy of STRATEGIES)
    writeFileSync(`${options.out}/bench-${strategy}.svg`, `${svgChart(rows, strategy)}\n`);
  if (options.json) {
    console.log(JSON.stringify({ results: rows }));
    return;
  }
  console.log(table(rows));
  console.log(
    `\n${options.runs} rollouts per row, seed ${options.seed}, ${seconds.toFixed(1)}s; wrote ${options.out}/bench.json and charts`,
  );
  for (const line of goals(rows)) console.log(`- ${line}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();

/**
 * `npm run bench:timing`: healthy rollouts through the real state machine (the ASL run by the local
 * runner on a virtual clock, with the real handlers), against a traffic model in which every minute's
 * canary share is the time-weighted mean of the weights applied during it. Reports how long rollouts
 * take, the checks made, the checks that read no new minute, and Plan's forecast. Seeded; no AWS.
 */
import { Command } from 'commander';
import { runLocal } from '../cli/local/runner';
import { MINUTE_MS } from '../shared/core/clock';
import type { RolloutState } from '../shared/steps/rollout';
import { FakeMetrics, FakeRouter, fakeDeps, T0 } from '../test/support/fakes';
import { draws } from './model';

interface Timing {
  minutes: number;
  forecast: number | null;
  checks: number;
  emptyChecks: number;
  outcome: string;
}

async function oneRollout(
  strategy: string,
  rpm: number,
  rate: number,
  seed: number,
  taskSeconds: number,
  trace?: (line: string) => void,
): Promise<Timing> {
  const draw = draws(seed);
  const router = new FakeRouter();
  const segments: Array<{ from: number; to: number; weight: number }> = [];
  const counts = new Map<number, { canary: number; baseline: number; ce: number; be: number }>();
  const binomial = (n: number, p: number) => (n > 0 ? draw.binomial(n, p) : 0);
  const share = (start: number) => {
    let weighted = 0;
    for (const s of segments) {
      const overlap = Math.min(s.to, start + MINUTE_MS) - Math.max(s.from, start);
      if (overlap > 0) weighted += overlap * s.weight;
    }
    return weighted / MINUTE_MS / 100;
  };
  const metrics = new FakeMetrics((at) => {
    const key = at.getTime();
    let c = counts.get(key);
    if (!c) {
      const canary = Math.round(rpm * share(key));
      c = { canary, baseline: rpm - canary, ce: binomial(canary, rate), be: binomial(rpm - canary, rate) };
      counts.set(key, c);
    }
    return {
      at: at.toISOString(),
      canary: { requests: c.canary, errors: c.ce },
      baseline: { requests: c.baseline, errors: c.be },
    };
  });
  metrics.history = (at) => ({ at: at.toISOString(), requests: rpm, errors: binomial(rpm, rate) });
  const deps = fakeDeps(router, metrics);
  deps.clock.onAdvance((from, to) => {
    segments.push({ from: from.getTime(), to: to.getTime(), weight: router.weight });
  });
  let checks = 0;
  let emptyChecks = 0;
  let lastEnd = '';
  let forecast: number | null = null;
  const result = await runLocal({
    input: {
      target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
      strategy,
    },
    deps,
    virtualClock: deps.clock,
    taskOverrides: {
      // A task is not instant: the Wait state's start and the Lambda's run move the clock.
      SetWeight: async (taskInput, real) => {
        await deps.clock.advance(taskSeconds);
        const out = await real(taskInput);
        trace?.(`${elapsed(deps.clock.now())} weight ${router.weight}%`);
        return out;
      },
      // Promotion is a write like SetWeight's: 100% is reached when it returns.
      Promote: async (taskInput, real) => {
        await deps.clock.advance(taskSeconds);
        const out = await real(taskInput);
        trace?.(`${elapsed(deps.clock.now())} promoted`);
        return out;
      },
      Evaluate: async (taskInput, real) => {
        await deps.clock.advance(taskSeconds);
        const before = (taskInput as { rollout: RolloutState }).rollout;
        forecast = before.forecast?.minutes ?? null;
        const out = (await real(taskInput)) as { rollout?: RolloutState };
        checks += 1;
        const state = (out.rollout ?? out) as RolloutState;
        const end = state.lastVerdict?.evidence?.window.end ?? '';
        if (end === '' || end === lastEnd) emptyChecks += 1;
        lastEnd = end;
        trace?.(
          `${elapsed(deps.clock.now())} check read minutes to ${end === '' ? '-' : elapsed(new Date(end))}: ${state.lastVerdict?.verdict ?? '-'}`,
        );
        return out;
      },
    },
  });
  const output = result as { status: string };
  return {
    minutes: (deps.clock.now().getTime() - T0.getTime()) / MINUTE_MS,
    forecast,
    checks,
    emptyChecks,
    outcome: output.status,
  };
}

/** m:ss since the rollout began, for --trace. */
const elapsed = (at: Date) => {
  const s = Math.round((at.getTime() - T0.getTime()) / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

async function main(): Promise<void> {
  const options = new Command()
    .option('--runs <n>', 'rollouts', (v) => Number.parseInt(v, 10), 40)
    .option('--rpm <n>', 'requests a minute', (v) => Number.parseInt(v, 10), 1000)
    .option('--strategy <name>', 'strategy', 'Linear10PercentEvery1Minute')
    .option('--task-seconds <n>', 'seconds each SetWeight and Evaluate takes', Number.parseFloat, 3)
    .option('--seed <n>', 'seed', (v) => Number.parseInt(v, 10), 20261204)
    .option('--trace', "print the first rollout's weight changes and checks (elapsed m:ss)")
    .parse()
    .opts<{
      runs: number;
      rpm: number;
      strategy: string;
      seed: number;
      taskSeconds: number;
      trace?: boolean;
    }>();
  const runs: Timing[] = [];
  for (let i = 0; i < options.runs; i++) {
    const trace = options.trace && i === 0 ? (line: string) => console.error(line) : undefined;
    runs.push(
      await oneRollout(options.strategy, options.rpm, 0.005, options.seed + i, options.taskSeconds, trace),
    );
  }
  const succeeded = runs.filter((r) => r.outcome === 'SUCCEEDED');
  const forecast = runs.find((r) => r.forecast !== null)?.forecast ?? null;
  console.log(
    JSON.stringify({
      strategy: options.strategy,
      rpm: options.rpm,
      taskSeconds: options.taskSeconds,
      runs: runs.length,
      promoted: succeeded.length,
      medianMinutes: median(succeeded.map((r) => r.minutes)),
      forecastMinutes: forecast,
      medianChecks: median(runs.map((r) => r.checks)),
      checksReadingNothingNew: runs.reduce((sum, r) => sum + r.emptyChecks, 0),
    }),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await main();

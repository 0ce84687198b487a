/**
 * `npm run bench:traffic`: fledge's figures at other traffic levels (issue 21: 100 and 10,000 requests a
 * minute beside the bench's 1,000) for the fixed strategies and the adaptive ramp: false rollbacks of a
 * healthy canary, a 4x canary's failed requests before rollback, and how often a canary exactly
 * maxRegression worse is promoted. Same simulator and decision code as `npm run bench`.
 */
import { Command } from 'commander';
import { resolveStrategy } from '../shared/core/strategy';
import { atMaxRegression, draws, WORLDS, type World, WorldRun } from './model';
import { controller } from './policies';
import { summarize } from './report';
import { STRATEGIES } from './run';
import { simulateRollout } from './simulate';

const at = (name: string, traffic: number): World => {
  const world = WORLDS.find((w) => w.name === name);
  if (!world) throw new RangeError(`no world ${name}`);
  return { ...world, name: `${name}@${traffic}`, trafficPerMinute: traffic };
};

function main(): void {
  const options = new Command()
    .option('--runs <n>', 'rollouts per strategy and world', (v) => Number.parseInt(v, 10), 500)
    .option('--traffic <list>', 'requests a minute', '100,1000,10000')
    .option('--seed <n>', 'seed', (v) => Number.parseInt(v, 10), 20261204)
    .parse()
    .opts<{ runs: number; traffic: string; seed: number }>();
  const rows = [];
  for (const traffic of options.traffic.split(',').map(Number)) {
    const worlds = [at('healthy', traffic), at('4x', traffic), atMaxRegression(4, 0.005, traffic)];
    for (const [si, strategy] of STRATEGIES.entries()) {
      const steps = resolveStrategy(strategy);
      for (const [wi, world] of worlds.entries()) {
        const draw = draws(options.seed + 10_007 * si + 101 * wi + traffic);
        const results = Array.from({ length: options.runs }, () => {
          const run = new WorldRun(world, draw);
          return simulateRollout(steps, controller('fledge', { steps, world, run }), run);
        });
        const row = summarize(
          { policy: 'fledge', world: world.name, strategy, trafficPerMinute: traffic, worse: world.worse },
          results,
        );
        rows.push(row);
        console.log(
          [strategy, world.name, `rolled back ${row.rolledBack}`, `promoted ${row.promoted}`]
            .concat([`failed ${row.medianFailedRequests ?? '-'}`, `minutes ${row.medianRolloutMinutes}`])
            .join('  '),
        );
      }
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();

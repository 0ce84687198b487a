/**
 * `npm run bench:frontier`: how fast any ramp can promote a healthy canary, and what each starting weight
 * costs against a 4x regression (issue 21's ≤ 6-minute goal).
 *
 * Two parts. The bound: the promotion evidence is an e-process whose log grows, in expectation, no faster
 * than the Kullback-Leibler drift of the data against the closest "maxRegression worse" world
 * (`safetyDrift`, per canary request); by Wald's identity a rollout needs, on average, at least
 * ln(1/beta) of it. Each minute of data is readable only a minute (the metric lag) plus the check's margin
 * after it ends. So no ramp, however it picks its weights, promotes sooner on average than the best
 * share's drift allows. The measure: the adaptive ramp started at each weight, on the bench's simulator.
 */
import { Command } from 'commander';
import { CHECK_MARGIN_SECONDS } from '../shared/core/cadence';
import { safetyDrift } from '../shared/core/history';
import { DEFAULT_MAX_REGRESSION } from '../shared/core/schema';
import { resolveStrategy } from '../shared/core/strategy';
import { draws, WORLDS, WorldRun } from './model';
import { controller } from './policies';
import { summarize } from './report';
import { simulateRollout } from './simulate';

const BASELINE_RATE = 0.005;
const BETA = 0.01;
const LAG_MINUTES = 1;

/** The share of traffic whose minute of data grows the promotion evidence fastest, and that growth. */
export function bestShare(trafficPerMinute: number): { share: number; natsPerMinute: number } {
  let best = { share: 0, natsPerMinute: 0 };
  for (let percent = 1; percent < 100; percent++) {
    const share = percent / 100;
    const drift = safetyDrift(share, BASELINE_RATE, DEFAULT_MAX_REGRESSION, 1);
    const perRequest = Math.max(drift.ratioPerCanaryRequest, drift.differencePerCanaryRequest);
    const natsPerMinute = perRequest * share * trafficPerMinute;
    if (natsPerMinute > best.natsPerMinute) best = { share, natsPerMinute };
  }
  return best;
}

/**
 * Fewest minutes, on average, from the first weight change to a promotion any ramp could make on the
 * same-minute comparison alone.
 */
export function promotionFloorMinutes(trafficPerMinute: number): number {
  const { natsPerMinute } = bestShare(trafficPerMinute);
  return Math.log(1 / BETA) / natsPerMinute + LAG_MINUTES + CHECK_MARGIN_SECONDS / 60;
}

/**
 * The same with the history part (analysis.historyEvidence): the canary's own requests against a rate
 * maxRegression above the hour's, which needs no baseline, so its best share is all the traffic. Per
 * canary request the evidence grows at most KL(b ‖ max(ratio × b, b + floor)) (the hour's rate known
 * exactly; the real part, on a lower bound, grows slower).
 */
export function historyFloorMinutes(trafficPerMinute: number): { natsPerMinute: number; minutes: number } {
  const { ratio, floor } = DEFAULT_MAX_REGRESSION;
  const c0 = Math.max(ratio * BASELINE_RATE, BASELINE_RATE + floor);
  const kl =
    BASELINE_RATE * Math.log(BASELINE_RATE / c0) +
    (1 - BASELINE_RATE) * Math.log((1 - BASELINE_RATE) / (1 - c0));
  const natsPerMinute = kl * trafficPerMinute;
  return {
    natsPerMinute,
    minutes: Math.log(1 / BETA) / natsPerMinute + LAG_MINUTES + CHECK_MARGIN_SECONDS / 60,
  };
}

function main(): void {
  const options = new Command()
    .option('--runs <n>', 'rollouts per starting weight and world', (v) => Number.parseInt(v, 10), 300)
    .option('--initial <list>', 'starting weights of the adaptive ramp', '5,8,10,20,30,40')
    .option('--seed <n>', 'seed', (v) => Number.parseInt(v, 10), 20261204)
    .parse()
    .opts<{ runs: number; initial: string; seed: number }>();
  for (const traffic of [100, 1000, 10_000]) {
    const { share, natsPerMinute } = bestShare(traffic);
    console.log(
      `${traffic} requests a minute: best share ${Math.round(share * 100)}% grows the promotion evidence ` +
        `${natsPerMinute.toFixed(3)} nats a minute; ln(1/beta) = ${Math.log(1 / BETA).toFixed(2)} → ` +
        `no ramp promotes a healthy canary sooner than ${promotionFloorMinutes(traffic).toFixed(2)} minutes on average ` +
        'on the same-minute comparison alone',
    );
    const history = historyFloorMinutes(traffic);
    console.log(
      `  with the history part: at most ${history.natsPerMinute.toFixed(3)} nats a minute with all traffic on the canary → ` +
        `no sooner than ${history.minutes.toFixed(2)} minutes`,
    );
  }
  for (const historyEvidence of [true, false]) {
    console.log(
      `\nadaptive ramp by starting weight, 1,000 requests a minute, baseline 0.5%, historyEvidence ${historyEvidence}:`,
    );
    for (const initialWeight of options.initial.split(',').map(Number)) {
      const [healthy, worse] = measure(initialWeight, historyEvidence, options);
      console.log(
        `initialWeight ${initialWeight}%: healthy median ${healthy?.medianRolloutMinutes} minutes to 100% ` +
          `(false rollbacks ${pct(healthy?.rolledBack)}); 4x median ${worse?.medianFailedRequests} failed canary ` +
          `requests before rollback (caught ${pct(worse?.rolledBack)})`,
      );
    }
  }
}

/** The adaptive ramp from one starting weight, healthy and 4x, on the bench's simulator. */
function measure(initialWeight: number, historyEvidence: boolean, options: { runs: number; seed: number }) {
  const steps = resolveStrategy({ adaptive: { initialWeight } });
  const analysis = { historyEvidence };
  return ['healthy', '4x'].map((name, wi) => {
    const world = WORLDS.find((w) => w.name === name);
    if (!world) throw new RangeError(`no world ${name}`);
    const draw = draws(options.seed + 101 * wi + initialWeight);
    const results = Array.from({ length: options.runs }, () => {
      const run = new WorldRun(world, draw);
      return simulateRollout(steps, controller('fledge', { steps, world, run, analysis }), run);
    });
    const key = {
      policy: 'fledge',
      world: name,
      strategy: 'Adaptive',
      trafficPerMinute: 1000,
      worse: world.worse,
    };
    return summarize(key as Parameters<typeof summarize>[0], results);
  });
}

const pct = (x: number | undefined): string => `${((x ?? 0) * 100).toFixed(2)}%`;

if (import.meta.url === `file://${process.argv[1]}`) main();

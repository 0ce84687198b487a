/**
 * Two real rollouts for the report tests: the real ASL run by the local runner with the real handlers,
 * on in-memory ports and a virtual clock, with traffic that follows the weight as it was set at each
 * minute and varies from minute to minute (seeded, so every run is the same).
 */
import { type EventLog, type LocalRunResult, runLocal } from '../../cli/local/runner';
import { recordRun } from '../../cli/reports/html';
import type { EventPublisher } from '../../shared/aws/events';
import type { Applied, TrafficContext } from '../../shared/core/ports';
import type { PairedMinute } from '../../shared/core/sequential-test';
import type { Timeline } from '../../shared/report/timeline';
import { type FakeDeps, FakeMetrics, FakeRouter, fakeDeps, T0 } from './fakes';

export type RolloutKind = 'promoted' | 'rolled-back';

export interface RecordedRollout {
  result: LocalRunResult;
  /** The interpreter's events, each with the virtual time it happened at. */
  events: Array<{ at: string; event: EventLog }>;
  timeline: Timeline;
  deps: FakeDeps;
}

const SCENARIOS: Record<RolloutKind, { canaryRate: number; input: Record<string, unknown> }> = {
  // A healthy version 3: 0.5% errors, like the baseline; three steps, then promoted.
  promoted: {
    canaryRate: 0.005,
    input: {
      target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '3' },
      strategy: {
        steps: [
          { weight: 10, bakeMinutes: 4 },
          { weight: 25, bakeMinutes: 4 },
          { weight: 50, bakeMinutes: 4 },
        ],
      },
    },
  },
  // A faulty version 3: 2.5% errors, 5x the baseline; rolled back during the first step.
  'rolled-back': {
    canaryRate: 0.025,
    input: {
      target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '3' },
      strategy: {
        steps: [
          { weight: 10, bakeMinutes: 6 },
          { weight: 50, bakeMinutes: 6 },
        ],
      },
    },
  },
};

/** Runs one of the two rollouts and records it; `events` replaces the in-memory lifecycle events. */
export async function recordRollout(
  kind: RolloutKind,
  options: { events?: EventPublisher } = {},
): Promise<RecordedRollout> {
  const scenario = SCENARIOS[kind];
  const router = new TimedRouter('3', ['2', '3']);
  router.version = '2';
  const seed = kind === 'promoted' ? 11 : 7;
  const metrics = new FakeMetrics((at) => minute(at, router.changes, scenario.canaryRate, seed));
  const deps = fakeDeps(router, metrics, { start: T0 });
  if (options.events) Object.assign(deps, { events: options.events });
  router.now = () => deps.clock.now().getTime();
  const recorder = recordRun(deps.clock);
  const events: RecordedRollout['events'] = [];
  const result = await runLocal({
    input: scenario.input,
    deps,
    virtualClock: deps.clock,
    onEvent: (event) => {
      recorder.onEvent(event);
      events.push({ at: deps.clock.now().toISOString(), event });
    },
  });
  return { result, events, timeline: recorder.timeline(result.executionArn), deps };
}

/** Remembers when each weight was set, so traffic can follow the weight in force at each minute. */
class TimedRouter extends FakeRouter {
  readonly changes: Array<{ at: number; weight: number }> = [{ at: 0, weight: 0 }];
  now: () => number = () => 0;

  override async setWeight(weight: number, context: TrafficContext): Promise<Applied> {
    const applied = await super.setWeight(weight, context);
    this.changes.push({ at: this.now(), weight });
    return applied;
  }
}

/**
 * About 1,000 requests a minute, split by the weight in force during that minute, with noise seeded by
 * the minute: a minute read again by a later check has the same counts.
 */
function minute(
  at: Date,
  changes: ReadonlyArray<{ at: number; weight: number }>,
  canaryRate: number,
  seed: number,
): PairedMinute {
  const random = mulberry32(seed * 100_003 + at.getTime() / 60_000);
  let weight = 0;
  for (const c of changes) if (c.at <= at.getTime()) weight = c.weight;
  const requests = 950 + Math.round(random() * 100);
  const canary = Math.round((requests * weight) / 100);
  const baseline = requests - canary;
  const noisy = (n: number, rate: number) => Math.max(0, Math.round(n * rate * (0.5 + random())));
  return {
    at: at.toISOString(),
    canary: { requests: canary, errors: noisy(canary, canaryRate) },
    baseline: { requests: baseline, errors: noisy(baseline, 0.005) },
  };
}

/** A small seeded generator, so the recorded rollouts are the same every run. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Releases of several targets, simulated a minute at a time: each target is its own world (its own
 * traffic, baseline and canary), all moved by one schedule and judged by the core's assessRelease(), the
 * function a release's check calls. The bench's release rows (issue 20) come from here.
 */
import type { Progress } from '../shared/core/decision';
import { assessRelease, releaseExtraMinutes } from '../shared/core/release';
import type { Step } from '../shared/core/strategy';
import { atMaxRegression, type Draws, type Minute, WORLDS, type World, WorldRun } from './model';
import { fledgeView, planFledge, startProgress } from './policies';

export interface ReleaseResult {
  outcome: 'promoted' | 'rolled-back';
  minutes: number;
  /** Promoted with a target that is worse than its baseline (a miss). */
  promotedWorse: boolean;
  /** The release's last decision's reason. */
  reason: string;
}

/** As in simulate.ts: longer than any release's schedule plus its longest hold for evidence. */
const MAX_MINUTES = 400;

/** Runs one release of `worlds.length` targets (each world one target). */
export function simulateRelease(
  steps: readonly Step[],
  worlds: readonly World[],
  draw: Draws,
  analysis?: Record<string, unknown>,
): ReleaseResult {
  const targets = worlds.map((world, i) => {
    const run = new WorldRun(world, draw);
    return {
      label: `target-${i + 1}`,
      world,
      run,
      plan: planFledge({ world, run, analysis }),
      seen: [] as Minute[],
    };
  });
  // One analysis for the release (all targets share the input's), holding for evidence as long as its
  // most dispersed target needs; each target keeps its own prior and latency thresholds (Plan reads each
  // target's last hour).
  const first = targets[0]?.plan.config;
  if (!first) throw new RangeError('a release needs targets');
  const perTarget = targets.map((t) => t.plan.config.insufficientData.maxExtraMinutes);
  const given = (analysis?.insufficientData as { maxExtraMinutes?: number } | undefined)?.maxExtraMinutes;
  const maxExtraMinutes = given ?? releaseExtraMinutes(perTarget, first.beta);
  const config = { ...first, insufficientData: { ...first.insufficientData, maxExtraMinutes } };
  const shown = targets.map(() => [] as Minute[]);
  let progress: Progress = startProgress();
  let step = 0;
  let nextCheck = 1;
  for (let t = 0; t < MAX_MINUTES; t++) {
    targets.forEach((target, i) => {
      target.seen.push(target.run.minute((steps[step]?.weight ?? 100) / 100));
      const complete = target.seen[t - 2];
      const list = shown[i] as Minute[];
      if (complete) list[t - 2] = target.run.view(complete, false);
    });
    if (t + 1 < nextCheck) continue;
    const members = targets.map((target, i) => {
      const newest = target.seen[t - 1];
      const visible = newest
        ? [...(shown[i] as Minute[]).slice(0, t - 1), target.run.view(newest, true)]
        : [];
      const view = fledgeView(t + 1, visible, config.metricLagMinutes);
      return {
        label: target.label,
        window: view.window,
        minutes: view.minutes,
        latency: target.plan.latency,
        prior: target.plan.prior,
      };
    });
    const now = fledgeView(t + 1, [], config.metricLagMinutes).now;
    const { decision } = assessRelease({ steps, progress, config, now, members });
    progress = decision.progress;
    nextCheck = t + 1 + Math.max(1, Math.ceil(decision.waitSeconds / 60));
    if (decision.action === 'rollback')
      return { outcome: 'rolled-back', minutes: t + 1, promotedWorse: false, reason: decision.reason };
    if (decision.action === 'promote')
      return {
        outcome: 'promoted',
        minutes: t + 1,
        promotedWorse: worlds.some((w) => w.worse),
        reason: decision.reason,
      };
    if (decision.action === 'advance') {
      step = Math.min(step + 1, steps.length - 1);
      progress = { ...progress, stepStartedAt: now.toISOString() };
      nextCheck = t + 2;
    }
  }
  throw new Error(`a release did not end within ${MAX_MINUTES} simulated minutes`);
}

/** A release's bench row: how many of `runs` releases promoted, and how long they took. */
export interface ReleaseRow {
  name: string;
  strategy: string;
  targets: number;
  runs: number;
  promoted: number;
  rolledBack: number;
  medianMinutes: number;
  /** What a good release does here. */
  goal: { promotedAtLeast?: number; rolledBackAtLeast?: number };
}

/** The release scenarios of issue 20: identical canaries on 5 targets; one of 5 targets 4x worse. */
export function releaseScenarios(): Array<{ name: string; worlds: World[]; goal: ReleaseRow['goal'] }> {
  const healthy = worldNamed('healthy');
  const fourX = worldNamed('4x');
  const maxRegression = atMaxRegression(4, 0.005, 1000);
  return [
    { name: '5 targets, all healthy', worlds: Array(5).fill(healthy), goal: { promotedAtLeast: 0.99 } },
    {
      name: '5 targets, one 4x worse',
      worlds: [healthy, healthy, fourX, healthy, healthy],
      goal: { rolledBackAtLeast: 0.99 },
    },
    {
      name: '5 targets, one at maxRegression',
      worlds: [healthy, healthy, healthy, healthy, maxRegression],
      goal: { rolledBackAtLeast: 0.99 },
    },
  ];
}

function worldNamed(name: string): World {
  const found = WORLDS_BY_NAME.get(name);
  if (!found) throw new Error(`no world '${name}'`);
  return found;
}

const WORLDS_BY_NAME = new Map(WORLDS.map((w) => [w.name, w]));

/** Runs every release scenario `runs` times per strategy. */
export function runReleaseBench(
  runs: number,
  seed: number,
  strategies: ReadonlyArray<{ name: string; steps: readonly Step[] }>,
  drawsFor: (seed: number) => Draws,
): ReleaseRow[] {
  const rows: ReleaseRow[] = [];
  strategies.forEach((strategy, si) => {
    releaseScenarios().forEach((scenario, ci) => {
      const draw = drawsFor(seed + 7_919 * si + 97 * ci + 31);
      const results = Array.from({ length: runs }, () =>
        simulateRelease(strategy.steps, scenario.worlds, draw),
      );
      const promoted = results.filter((r) => r.outcome === 'promoted').length;
      const sorted = results.map((r) => r.minutes).sort((a, b) => a - b);
      rows.push({
        name: scenario.name,
        strategy: strategy.name,
        targets: scenario.worlds.length,
        runs,
        promoted: promoted / runs,
        rolledBack: (runs - promoted) / runs,
        medianMinutes: sorted[Math.floor(sorted.length / 2)] ?? 0,
        goal: scenario.goal,
      });
    });
  });
  return rows;
}

/** Each release row against its goal, as the bench prints it. */
export function releaseGoals(rows: readonly ReleaseRow[]): string[] {
  const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
  return rows.map((r) => {
    const { promotedAtLeast, rolledBackAtLeast } = r.goal;
    const [what, value, goal] =
      promotedAtLeast !== undefined
        ? ['released', r.promoted, promotedAtLeast]
        : ['caught (rolled back)', r.rolledBack, rolledBackAtLeast ?? 1];
    return `${r.strategy} release of ${r.name}: ${what} ${pct(value)} (goal ≥ ${pct(goal)}), median ${r.medianMinutes} min ${value >= goal ? 'met' : 'MISSED'}`;
  });
}

/**
 * The words of a run's progress: each check says what it has seen and what it still needs, why it holds
 * and when the next check runs; a canary still gathering evidence is never called a pass; a replay says
 * what would have happened, never that it did.
 */
import { expect, it } from 'vitest';
import { runLocal } from '../../cli/local/runner';
import { describeEvent, type ProgressOptions } from '../../cli/reports/progress';
import { FakeMetrics, FakeRouter, fakeDeps, steadyMinute } from '../support/fakes';

async function progressLines(
  canaryRate: number,
  options: Omit<ProgressOptions, 'now'> = {},
): Promise<string[]> {
  const router = new FakeRouter();
  const metrics = new FakeMetrics((at) =>
    steadyMinute(at, 1000, Math.max(router.weight, 10) / 100, canaryRate, 0.005),
  );
  const deps = fakeDeps(router, metrics, { start: new Date('2026-11-02T10:00:00.000Z') });
  const lines: string[] = [];
  await runLocal({
    input: {
      target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
      strategy: 'Canary10Percent5Minutes',
    },
    deps,
    virtualClock: deps.clock,
    onEvent: (event) => {
      const line = describeEvent(event, { now: () => deps.clock.now(), ...options });
      if (line) lines.push(...line.split('\n'));
    },
  });
  return lines;
}

const checksOf = (lines: string[]) => lines.filter((l) => l.trimStart().startsWith('check'));

it('watches a 3x canary with both tallies and what promotion still needs, never calling it a pass', async () => {
  // Act
  const checks = checksOf(await progressLines(0.015));

  // Assess: the first check waits for the first complete minute and reads it (no empty window); then
  // "watching" until the regression shows.
  expect(checks[0]).toMatch(/^ {2}check 1: watching: canary 2\/100 /);
  expect(checks.join('\n')).not.toMatch(/no complete CloudWatch minute/);
  const watching = checks.filter((l) => l.includes('watching:'));
  expect(watching.length).toBeGreaterThan(0);
  expect(watching[0]).toMatch(
    /check \d+: watching: canary \d+\/\d+ \([\d.]+%\) vs baseline \d+\/\d+ \([\d.]+%\); rollback evidence [\d.]+ of 100, promotion evidence [\d.]+ of 100(; promotion needs about [\d,]+ more canary requests at the baseline's error rate)? → hold: /,
  );
  expect(checks.join('\n')).not.toMatch(/\bpass\b/);
  expect(checks.at(-1)).toMatch(/regression: canary error rate is higher than baseline's.* → roll back$/);
});

it('says why each check holds and when the next one runs', async () => {
  const lines = await progressLines(0.015);
  const checks = checksOf(lines);

  // The step starts at 10:00 and is first checked when its first minute is readable (its end, the 1-minute
  // lag, a 5 s margin), then as each next minute is; the bake ends at 10:05.
  expect(lines).toContain(
    'step 1/1: 10% to version 2 (2026-11-02T10:00:00.000Z); first check at 10:02:05Z (in 2m 5s)',
  );
  expect(checks[0]).toMatch(
    /→ hold: step 1 bakes 175s more \(inconclusive\); next check at 10:03:05Z \(in 1m\)$/,
  );
  expect(checks[1]).toMatch(/→ hold: step 1 bakes 115s more .*; next check at 10:04:05Z \(in 1m\)$/);
});

it('shows the forecast with the plan, says when a canary is shown safe, and promotes it', async () => {
  const lines = await progressLines(0.005);
  const checks = checksOf(lines);

  expect(lines[0]).toMatch(/^plan: version 1 → version 2, steps 10%\/5m$/);
  // The fake metrics have no last hour, so the forecast says what it cannot tell.
  expect(lines[1]).toMatch(
    /^ {2}forecast: the schedule takes 5 minutes; the stable version served no requests/,
  );
  // Past the bake, a canary still short of evidence is held for it, not promoted.
  expect(checks.some((l) => / → hold: step 1 held for promotion evidence; next check at /.test(l))).toBe(
    true,
  );
  expect(checks.at(-1)).toMatch(
    /check \d+: canary shown not 4x worse than baseline: .*promotion evidence [\d.]+ ≥ 100 \(beta 0.01\) → promote$/,
  );
  expect(lines.at(-1)).toBe('promote: all traffic on version 2');
});

it('ends a rolled-back run with what it did, not with the Fail state as an error', async () => {
  const lines = await progressLines(0.05);

  expect(lines.at(-1)).toBe('roll back: all traffic on version 1 again');
  expect(lines.join('\n')).not.toMatch(/!/);
});

it('in a replay, says what would have happened', async () => {
  const lines = await progressLines(0.05, { replay: true });

  expect(lines).toContain(
    'step 1/1: would send 10% to version 2 (2026-11-02T10:00:00.000Z); first check at 10:02:05Z (in 2m 5s)',
  );
  expect(checksOf(lines).at(-1)).toMatch(/→ would roll back$/);
  expect(lines.at(-1)).toBe('would roll back: all traffic back to version 1');
  expect(lines.join('\n')).not.toMatch(/RolledBack|^roll back|^promote/m);
});

it('says why a check ends the rollout when that is not what it saw: too little data for too long', async () => {
  // Prepare: a canary that gets no requests, held for data 2 minutes past its bake, then rolled back.
  const router = new FakeRouter();
  const metrics = new FakeMetrics((at) => steadyMinute(at, 1000, 0, 0, 0.005));
  const deps = fakeDeps(router, metrics, { start: new Date('2026-11-02T10:00:00.000Z') });
  const lines: string[] = [];

  // Act
  await runLocal({
    input: {
      target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
      strategy: 'Canary10Percent5Minutes',
      analysis: { insufficientData: { action: 'rollback', maxExtraMinutes: 2 } },
    },
    deps,
    virtualClock: deps.clock,
    onEvent: (event) => {
      const line = describeEvent(event, { now: () => deps.clock.now() });
      if (line) lines.push(...line.split('\n'));
    },
  });

  // Assess: the last check saw "waiting for data", and says it rolls back for having waited too long.
  expect(checksOf(lines).at(-1)).toMatch(
    /: waiting for data: no canary requests in the window yet → roll back: insufficient data after 2 extra minutes$/,
  );
});

/**
 * The words of a run's progress: each check says what it has seen and what it still needs, and a canary
 * still gathering evidence is never called a pass.
 */
import { expect, it } from 'vitest';
import { runLocal } from '../../cli/local-runner';
import { describeEvent } from '../../cli/report';
import { FakeMetrics, FakeRouter, fakeDeps, steadyMinute } from '../support/fakes';

async function progressLines(canaryRate: number): Promise<string[]> {
  const router = new FakeRouter();
  const metrics = new FakeMetrics((at) =>
    steadyMinute(at, 1000, Math.max(router.weight, 10) / 100, canaryRate, 0.005),
  );
  const deps = fakeDeps(router, metrics);
  const lines: string[] = [];
  await runLocal({
    input: {
      target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
      strategy: 'Canary10Percent5Minutes',
    },
    deps,
    virtualClock: deps.clock,
    onEvent: (event) => {
      const line = describeEvent(event);
      if (line) lines.push(line);
    },
  });
  return lines.filter((l) => l.trimStart().startsWith('check'));
}

it('watches a 3x canary with both tallies and what promotion still needs, never calling it a pass', async () => {
  // Act
  const checks = await progressLines(0.015);

  // Assess: the first check has no complete minute; then "watching" until the regression shows.
  expect(checks[0]).toMatch(/^ {2}check 1: waiting for data: no complete CloudWatch minute/);
  const watching = checks.filter((l) => l.includes('watching:'));
  expect(watching.length).toBeGreaterThan(0);
  expect(watching[0]).toMatch(
    /check \d+: watching: canary \d+\/\d+ \([\d.]+%\) vs baseline \d+\/\d+ \([\d.]+%\); rollback evidence [\d.]+ of 100, promotion evidence [\d.]+ of 100(; promotion needs about [\d,]+ more canary requests at the baseline's error rate)? → hold$/,
  );
  expect(checks.join('\n')).not.toMatch(/\bpass\b/);
  expect(checks.at(-1)).toMatch(/regression: canary error rate is higher than baseline's.* → rollback$/);
});

it('says when a healthy canary is shown safe, and promotes it', async () => {
  const checks = await progressLines(0.005);

  expect(checks.at(-1)).toMatch(
    /check \d+: canary shown not 4x worse than baseline: .*promotion evidence [\d.]+ ≥ 100 \(beta 0.01\) → promote$/,
  );
});

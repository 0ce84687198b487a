/**
 * How runs start and what they tell the world: CloudTrail publish events, deploy events, duplicates,
 * a second start on a busy target, hooks, and lifecycle events. Real ASL, real handlers, fake ports.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runLocal } from '../../cli/local/runner';
import { toReport } from '../../cli/reports/progress';
import { TrafficConflictError } from '../../shared/core/errors';
import { FakeMetrics, FakeRouter, fakeDeps, steadyMinute } from '../support/fakes';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/events/${name}.json`, import.meta.url), 'utf8'));
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:checkout';

function setup(tags: Record<string, string> = {}, canaryRate = 0.005) {
  const router = new FakeRouter();
  const metrics = new FakeMetrics((at) =>
    steadyMinute(at, 1000, Math.max(router.weight, 10) / 100, canaryRate, 0.005),
  );
  const deps = fakeDeps(router, metrics, { tags: { [FUNCTION_ARN]: tags } });
  return { router, metrics, deps };
}

describe('triggers', () => {
  it('runs a canary for a tagged function when a version is published', async () => {
    const { router, deps } = setup({ 'fledge:alias': 'live', 'fledge:strategy': 'Canary10Percent5Minutes' });

    const result = await runLocal({ input: fixture('publish-version'), deps, virtualClock: deps.clock });

    expect(toReport(result)).toMatchObject({ outcome: 'promoted', canary: '2' });
    expect(router.calls).toEqual(['setWeight:10', 'promote']);
  });

  it('accepts UpdateFunctionCode with publish=true', async () => {
    const { router, deps } = setup({ 'fledge:alias': 'live', 'fledge:strategy': 'AllAtOnce' });

    const result = await runLocal({
      input: fixture('update-function-code-published'),
      deps,
      virtualClock: deps.clock,
    });

    expect(result.status).toBe('SUCCEEDED');
    expect(router.calls).toEqual(['promote']);
  });

  it('skips an untagged function, SUCCEEDED with a reason, changing nothing', async () => {
    const { router, deps } = setup({});

    const result = await runLocal({ input: fixture('publish-version'), deps, virtualClock: deps.clock });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({
      outcome: 'skipped',
      reason: 'function checkout has no fledge:alias tag; tag it to opt in to canary releases',
    });
    expect(router.calls).toEqual([]);
    expect(deps.events.published).toEqual([]);
  });

  it('runs the rollout a deploy event carries', async () => {
    const { router, deps } = setup();

    const result = await runLocal({
      input: fixture('canary-release-requested'),
      deps,
      virtualClock: deps.clock,
    });

    expect(result.status).toBe('SUCCEEDED');
    expect(router.calls).toEqual(['setWeight:10', 'promote']);
  });

  it('does not start a second rollout for a duplicate delivery of the same event', async () => {
    const { router, deps } = setup();
    await runLocal({ input: fixture('canary-release-requested'), deps, virtualClock: deps.clock });

    const again = await runLocal({
      input: fixture('canary-release-requested'),
      deps,
      virtualClock: deps.clock,
    });

    expect(again.status).toBe('SUCCEEDED');
    expect(again.output).toMatchObject({ outcome: 'skipped' });
    expect(String((again.output as { reason: string }).reason)).toMatch(/was already delivered/);
    expect(router.calls.filter((c) => c === 'promote')).toHaveLength(1);
  });

  it('refuses a second start while a rollout of the same target is in progress', async () => {
    const { router, deps } = setup();
    deps.executions.states.set('arn:aws:states:us-east-1:123456789012:execution:fledge:first', {
      status: 'RUNNING',
    });
    deps.records.records.set('lambda-alias#checkout#live', {
      key: 'lambda-alias#checkout#live',
      owner: 'arn:aws:states:us-east-1:123456789012:execution:fledge:first',
      since: '2026-11-02T09:55:00.000Z',
      updatedAt: '2026-11-02T09:59:00.000Z',
      status: 'baking',
      target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '7' },
      label: 'alias checkout:live (version 6 → 7)',
      traffic: { baseline: '6', canary: '7', weight: 10 },
    });

    const result = await runLocal({
      input: fixture('canary-release-requested').detail,
      deps,
      virtualClock: deps.clock,
    });

    expect(result.error).toBe('RolloutInProgressError');
    expect(toReport(result)).toMatchObject({ outcome: 'rejected' });
    expect(toReport(result).reason).toMatch(
      /already in progress \(arn:aws:states:.*:first, since 2026-11-02T09:55:00.000Z; alias checkout:live \(version 6 → 7\): baking, 10% on the canary\)/,
    );
    expect(router.calls).toEqual([]);
  });
});

describe('hooks', () => {
  const input = (hooks: Record<string, unknown>) => ({
    target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
    strategy: 'Canary10Percent5Minutes',
    hooks,
  });

  it('gates the rollout on beforeAllowTraffic: a failing hook moves no traffic', async () => {
    const { router, deps } = setup();
    const calls: unknown[] = [];

    const result = await runLocal({
      input: input({ beforeAllowTraffic: 'smoke-test' }),
      deps,
      virtualClock: deps.clock,
      invoke: async (fn, payload) => {
        calls.push({ fn, payload });
        return { status: 'Failed' };
      },
    });

    const report = toReport(result);
    expect(report.outcome).toBe('rolled-back');
    expect(report.reason).toBe('beforeAllowTraffic hook smoke-test reported Failed; no traffic had moved');
    expect(router.calls.filter((c) => c.startsWith('setWeight'))).toEqual([]);
    expect(calls).toEqual([
      {
        fn: 'smoke-test',
        payload: expect.objectContaining({ hook: 'BeforeAllowTraffic', baseline: '1', canary: '2' }),
      },
    ]);
  });

  it('treats a hook that throws like a failed one', async () => {
    const { router, deps } = setup();

    const result = await runLocal({
      input: input({ beforeAllowTraffic: 'smoke-test' }),
      deps,
      virtualClock: deps.clock,
      invoke: async () => {
        throw Object.assign(new Error('health endpoint returned 503'), { name: 'SmokeTestFailed' });
      },
    });

    expect(toReport(result).reason).toMatch(
      /SmokeTestFailed during the rollout: health endpoint returned 503/,
    );
    expect(router.calls.filter((c) => c.startsWith('setWeight'))).toEqual([]);
  });

  it('runs afterAllowTraffic after promotion and rolls back when it fails', async () => {
    const { router, deps } = setup();
    const hooks: string[] = [];

    const result = await runLocal({
      input: input({ beforeAllowTraffic: 'pre', afterAllowTraffic: 'post' }),
      deps,
      virtualClock: deps.clock,
      invoke: async (fn) => {
        hooks.push(fn);
        return fn === 'post' ? { status: 'Failed' } : { status: 'Succeeded' };
      },
    });

    expect(hooks).toEqual(['pre', 'post']);
    expect(router.calls).toEqual(['setWeight:10', 'promote', 'rollback']);
    expect(toReport(result).reason).toBe('afterAllowTraffic hook post reported Failed after promotion');
    expect(router.version).toBe('1');
  });

  it('promotes when both hooks succeed', async () => {
    const { router, deps } = setup();

    const result = await runLocal({
      input: input({ beforeAllowTraffic: 'pre', afterAllowTraffic: 'post' }),
      deps,
      virtualClock: deps.clock,
      invoke: async () => ({ status: 'Succeeded' }),
    });

    expect(result.status).toBe('SUCCEEDED');
    expect(router.version).toBe('2');
  });
});

describe('lifecycle events', () => {
  it('announces start, each weight change and the promotion', async () => {
    const { deps } = setup({}, 0.005);

    await runLocal({
      input: {
        target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
        strategy: 'Linear10PercentEvery3Minutes',
      },
      deps,
      virtualClock: deps.clock,
    });

    const types = deps.events.published.map((e) => e.detailType);
    expect(types[0]).toBe('Canary Started');
    expect(types.filter((t) => t === 'Canary Weight Changed')).toHaveLength(9);
    expect(types.at(-1)).toBe('Canary Promoted');
    expect(deps.events.published[1]?.detail).toMatchObject({
      step: 1,
      steps: 9,
      weight: 10,
      baseline: '1',
      canary: '2',
    });
  });

  it('announces a rollback with its reason and the evidence', async () => {
    const { deps } = setup({}, 0.05);

    await runLocal({
      input: { target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' } },
      deps,
      virtualClock: deps.clock,
    });

    const rolledBack = deps.events.published.find((e) => e.detailType === 'Canary Rolled Back');
    expect(rolledBack?.detail.reason).toMatch(/canary error rate is higher than baseline/);
    expect(rolledBack?.detail.evidence).toMatchObject({
      canary: expect.objectContaining({ errors: expect.any(Number) }),
    });
  });

  it('announces a failed rollback before the run fails', async () => {
    const { router, deps } = setup({}, 0.05);
    router.failures.rollback = Array.from({ length: 20 }, () => new Error('AccessDenied'));

    const result = await runLocal({
      input: { target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' } },
      deps,
      virtualClock: deps.clock,
    });

    expect(result.error).toBe('fledge.RollbackFailed');
    const failed = deps.events.published.find((e) => e.detailType === 'Canary Rollback Failed');
    expect(failed?.detail).toMatchObject({
      canary: '2',
      baseline: '1',
      weight: 10,
      error: expect.objectContaining({ Error: 'Error' }),
    });
  });

  it.each([
    ['SetWeight', 'setWeight', 0.005],
    ['Promote', 'promote', 0.005],
    ['Rollback', 'rollback', 0.05],
  ] as const)(
    'announces a conflict found by %s, naming the split fledge found, before the run stops',
    async (_, method, canaryRate) => {
      // Prepare: someone else has put a third of the traffic on version 7.
      const { router, deps } = setup({}, canaryRate);
      router.failures[method] = [
        new TrafficConflictError(
          'alias live now routes version 1 with 33% to version 7, which fledge did not write; it was left as it is.',
        ),
      ];

      // Act
      const result = await runLocal({
        input: {
          target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
          strategy: 'Canary10Percent5Minutes',
        },
        deps,
        virtualClock: deps.clock,
      });

      // Assess
      expect(result.error).toBe('fledge.TrafficConflict');
      expect(result.path.slice(-2)).toEqual(['AnnounceTrafficConflict', 'StoppedOnConflict']);
      const conflicts = deps.events.published.filter((e) => e.detailType === 'Canary Traffic Conflict');
      expect(conflicts).toHaveLength(1);
      expect(conflicts[0]?.detail).toMatchObject({
        baseline: '1',
        canary: '2',
        target: { functionName: 'checkout', alias: 'live' },
        error: { Error: 'TrafficConflictError' },
        severity: 'high',
        summary:
          'TRAFFIC CONFLICT for alias checkout:live (version 1 → 2), traffic may still be split - someone else changed it and fledge stopped without overwriting it. TrafficConflictError',
      });
      expect(conflicts[0]?.detail.reason).toMatch(
        /^alias checkout:live \(version 1 → 2\) - someone else changed the traffic split during the rollout; .* What fledge found - alias live now routes version 1 with 33% to version 7/,
      );
    },
  );

  it('stops on a conflict even when the announcement cannot be put', async () => {
    const { router, deps } = setup();
    router.failures.setWeight = [new TrafficConflictError('alias live was changed by someone else')];

    const result = await runLocal({
      input: { target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' } },
      deps,
      virtualClock: deps.clock,
      taskOverrides: {
        AnnounceTrafficConflict: async () => {
          throw Object.assign(new Error('not authorized to perform: events:PutEvents'), {
            name: 'EventBridge.AccessDeniedException',
          });
        },
      },
    });

    expect(result.error).toBe('fledge.TrafficConflict');
    expect(result.cause).toBe('alias live was changed by someone else');
    expect(router.calls).not.toContain('rollback');
  });

  it('marks every event of a local run as local, with the trigger that started it', async () => {
    const { deps } = setup({ 'fledge:alias': 'live' });

    await runLocal({
      input: { target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' } },
      deps,
      virtualClock: deps.clock,
    });
    await runLocal({ input: fixture('publish-version'), deps, virtualClock: deps.clock });

    const details = deps.events.published.map((e) => e.detail);
    expect(details.length).toBeGreaterThan(4);
    expect(details.every((d) => d.local === true)).toBe(true);
    // An input given as it is: `local`; an event keeps its own source and id.
    expect(details.map((d) => (d.trigger as { source: string }).source)).toContain('local');
    expect(details.map((d) => (d.trigger as { source: string }).source)).toContain('lambda-publish');
    expect(details.map((d) => (d.trigger as { source: string }).source)).not.toContain('console');
  });
});

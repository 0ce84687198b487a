import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryRolloutRecords } from '../../cli/shared/memory-records';
import type { Decision, Progress } from '../../shared/core/decision';
import type { RolloutRecord } from '../../shared/core/record';
import {
  assessRelease,
  combineDecisions,
  memberBudgets,
  releaseExtraMinutes,
} from '../../shared/core/release';
import type { PairedMinute } from '../../shared/core/sequential-test';
import { resolveStrategy } from '../../shared/core/strategy';

const T = Date.UTC(2026, 10, 2, 10, 0);
const at = (minute: number) => new Date(T + minute * 60_000);
const progress: Progress = {
  stepIndex: 0,
  stepStartedAt: at(0).toISOString(),
  trafficStartedAt: at(0).toISOString(),
  checks: 3,
  consecutiveErrors: 0,
};
const decision = (action: Decision['action'], extra: Partial<Decision> = {}): Decision => ({
  action,
  reason: `${action} reason`,
  waitSeconds: action === 'hold' ? 60 : 0,
  progress: { ...progress, checks: 4, ...(action === 'advance' ? { stepIndex: 1 } : {}) },
  ...extra,
});
const member = (label: string, d: Decision) => ({ label, decision: d });

describe('memberBudgets', () => {
  it('gives each of n targets alpha / n and beta / n', () => {
    expect(memberBudgets({ alpha: 0.01, beta: 0.02, tolerance: 0 }, 4)).toEqual({
      alpha: 0.0025,
      beta: 0.005,
      tolerance: 0,
    });
  });

  it('refuses a release without targets', () => {
    expect(() => memberBudgets({ alpha: 0.01, beta: 0.01 }, 0)).toThrow(RangeError);
  });
});

describe('combineDecisions', () => {
  it('rolls the release back when any one target rolls back, naming it', () => {
    const d = combineDecisions(progress, [
      member('a', decision('advance')),
      member('b', decision('rollback', { reason: 'canary 4x worse' })),
      member('c', decision('hold')),
    ]);
    expect(d.action).toBe('rollback');
    expect(d.reason).toBe('b: canary 4x worse');
    expect(d.progress.stepIndex).toBe(0);
  });

  it('holds every target at its step while one still holds, at the soonest recheck', () => {
    const d = combineDecisions(progress, [
      member('a', decision('advance')),
      member('b', decision('hold', { waitSeconds: 120, reason: 'bakes 120s more' })),
      member('c', decision('hold', { waitSeconds: 30, reason: 'waiting for data' })),
    ]);
    expect(d).toMatchObject({ action: 'hold', waitSeconds: 30, progress: { stepIndex: 0, checks: 4 } });
    expect(d.reason).toBe('b: bakes 120s more; c: waiting for data');
  });

  it('advances only when every target advances, and promotes only when every target promotes', () => {
    const advance = combineDecisions(progress, [
      member('a', decision('advance')),
      member('b', decision('advance')),
    ]);
    expect(advance).toMatchObject({ action: 'advance', progress: { stepIndex: 1, checks: 4 } });
    const promote = combineDecisions(progress, [
      member('a', decision('promote')),
      member('b', decision('promote')),
    ]);
    expect(promote.action).toBe('promote');
    const notYet = combineDecisions(progress, [
      member('a', decision('promote')),
      member('b', decision('hold')),
    ]);
    expect(notYet.action).toBe('hold');
  });

  it('rolls back rather than guess when targets disagree between advance and promote', () => {
    const d = combineDecisions(progress, [
      member('a', decision('promote')),
      member('b', decision('advance')),
    ]);
    expect(d.action).toBe('rollback');
  });

  it('counts analysis errors in a row on any target', () => {
    const erred = decision('hold', { progress: { ...progress, checks: 4, consecutiveErrors: 2 } });
    const d = combineDecisions({ ...progress, consecutiveErrors: 1 }, [
      member('a', decision('hold')),
      member('b', erred),
    ]);
    expect(d.progress.consecutiveErrors).toBe(2);
  });

  it('never advances, promotes or moves the step while any target does not (property)', () => {
    const action = fc.constantFrom<Decision['action']>('advance', 'hold', 'promote', 'rollback');
    fc.assert(
      fc.property(fc.array(action, { minLength: 1, maxLength: 20 }), (actions) => {
        const d = combineDecisions(
          progress,
          actions.map((a, i) => member(`t${i}`, decision(a))),
        );
        if (actions.includes('rollback')) expect(d.action).toBe('rollback');
        if (d.action === 'promote') expect(actions.every((a) => a === 'promote')).toBe(true);
        if (d.action === 'advance') expect(actions.every((a) => a === 'advance')).toBe(true);
        if (d.action !== 'advance') expect(d.progress.stepIndex).toBe(0);
      }),
    );
  });
});

describe('releaseExtraMinutes', () => {
  it('holds as long as the slowest target, stretched by ln(n/beta)/ln(1/beta), within the cap', () => {
    // ln(500)/ln(100) = 1.3495…: 30 minutes become 41.
    expect(releaseExtraMinutes([30, 20, 30, 25, 30], 0.01)).toBe(41);
    // Two targets: ln(200)/ln(100) = 1.1505…: 200 minutes become 231.
    expect(releaseExtraMinutes([200, 30], 0.01)).toBe(231);
    expect(releaseExtraMinutes([230, 30, 30, 30, 30], 0.01)).toBe(240);
  });
});

describe('assessRelease', () => {
  const steps = resolveStrategy('Canary10Percent5Minutes');
  const config = {
    alpha: 0.01,
    beta: 0.01,
    tolerance: 0,
    maxRegression: { ratio: 4, floor: 0.005 },
    minInvocations: 50,
    checkIntervalMinutes: 1,
    insufficientData: { action: 'rollback' as const, maxExtraMinutes: 30 },
  };
  const minutes = (canaryErrors: number): PairedMinute[] =>
    Array.from({ length: 3 }, (_, i) => ({
      at: at(i).toISOString(),
      canary: { requests: 100, errors: canaryErrors },
      baseline: { requests: 900, errors: 4 },
    }));
  const window = { start: at(0), end: at(3) };

  it("judges each target against its own baseline, at alpha / n, and rolls back on one target's regression", () => {
    const result = assessRelease({
      steps,
      progress: { ...progress, checks: 0 },
      config,
      now: at(4),
      members: [
        { label: 'checkout:live', window, minutes: minutes(0) },
        { label: 'cart:live', window, minutes: minutes(30) },
      ],
    });
    expect(result.members.map((m) => m.verdict.verdict)).toEqual(['inconclusive', 'fail']);
    // Each target's test runs at alpha / 2: threshold 1 / 0.005 = 200.
    expect(result.members[1]?.verdict.evidence?.test?.threshold).toBe(200);
    expect(result.decision.action).toBe('rollback');
    expect(result.decision.reason).toMatch(/^cart:live: /);
  });

  it('holds while a target has no data, even when the others look fine', () => {
    const result = assessRelease({
      steps,
      progress: { ...progress, checks: 0 },
      config,
      now: at(4),
      members: [
        { label: 'a', window, minutes: minutes(0) },
        { label: 'b', window, minutes: undefined },
      ],
    });
    expect(result.members[1]?.verdict).toMatchObject({ verdict: 'inconclusive', pending: 'data' });
    expect(result.decision.action).toBe('hold');
  });
});

describe('MemoryRolloutRecords.acquireAll (fledge run without a table)', () => {
  const record = (fn: string, owner: string): RolloutRecord => ({
    key: `lambda-alias#${fn}#live`,
    owner,
    since: '2026-12-04T10:00:00.000Z',
    updatedAt: '2026-12-04T10:00:00.000Z',
    status: 'planning',
    target: { type: 'lambda-alias', functionName: fn, alias: 'live', version: '2' },
    label: `alias ${fn}:live`,
  });

  it('takes all or none: one busy target refuses the release, naming it, and takes nothing', async () => {
    const records = new MemoryRolloutRecords({ describe: async () => ({ status: 'RUNNING' }) });
    await records.acquire(record('b', 'other'));

    await expect(records.acquireAll([record('a', 'mine'), record('b', 'mine')])).rejects.toThrow(
      /took none of its targets: alias b:live: a rollout of this target is already in progress/,
    );
    expect(records.records.has('lambda-alias#a#live')).toBe(false);

    await records.acquireAll([record('a', 'mine'), record('c', 'mine')]);
    expect([...records.records.values()].filter((r) => r.owner === 'mine')).toHaveLength(2);
  });
});

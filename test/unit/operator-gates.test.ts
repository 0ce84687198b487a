/**
 * Approvals and rejections against the gate a rollout waits at (shared/core/operator.ts): an answer is
 * applied to the gate it answers, or said to have been refused; never dropped.
 */
import { describe, expect, it } from 'vitest';
import type { Decision } from '../../shared/core/decision';
import { applyOperator, type OperatorCommand, type OperatorInput } from '../../shared/core/operator';
import { resolveStrategy } from '../../shared/core/strategy';

const NOW = new Date('2026-11-02T10:10:00Z');
const steps = resolveStrategy({ steps: [{ weight: 10, bakeMinutes: 2, approve: true }] });
const gates = {
  beforePromotion: false,
  approvalTimeoutMinutes: 60,
  onApprovalTimeout: 'rollback',
  maxPauseMinutes: 60,
} as const;
const progress = {
  stepIndex: 0,
  stepStartedAt: '2026-11-02T10:00:00Z',
  trafficStartedAt: '2026-11-02T10:00:00Z',
  checks: 8,
  consecutiveErrors: 0,
};
const decision = (action: Decision['action'], reason: string): Decision => ({
  action,
  reason,
  waitSeconds: action === 'hold' ? 60 : 0,
  progress: { ...progress, stepIndex: action === 'advance' ? 1 : 0 },
});
const command = (action: OperatorCommand['action']): OperatorCommand => ({
  id: `c-${action}`,
  action,
  reason: 'looked at the dashboards',
  by: 'alice',
  at: '2026-11-02T10:09:00Z',
});
/** A check whose canary is watched but not yet shown safe: it holds, with the step-1 gate already open. */
const atOpenGate = (
  answer: OperatorCommand | undefined,
  d = decision('hold', 'watching: promotion needs more'),
): OperatorInput => ({
  decision: d,
  verdict: { verdict: 'inconclusive', reason: d.reason, pending: 'evidence' },
  steps,
  gates,
  requests: { command: answer },
  progress: { handled: [], approved: [], gate: { id: 'promotion', openedAt: '2026-11-02T10:05:00Z' } },
  now: NOW,
  recheckSeconds: 60,
});

describe('an answer to an open gate while the check holds', () => {
  it('approves the gate, so the rollout goes on without waiting there again', () => {
    const held = applyOperator(atOpenGate(command('approve')));

    expect(held.decision.action).toBe('hold');
    expect(held.decision.reason).toMatch(/^promotion approved by alice: looked at the dashboards; watching/);
    expect(held.progress).toMatchObject({ approved: ['promotion'], gate: undefined, handled: ['c-approve'] });
    expect(held.applied?.id).toBe('c-approve');

    const next = applyOperator({
      ...atOpenGate(undefined, decision('promote', 'canary shown not 4x worse')),
      progress: held.progress,
    });
    expect(next.decision.action).toBe('promote');
  });

  it('rolls back on a rejection', () => {
    const result = applyOperator(atOpenGate(command('reject')));

    expect(result.decision).toMatchObject({
      action: 'rollback',
      reason: 'promotion rejected by alice: looked at the dashboards',
    });
    expect(result.forced).toMatchObject({ action: 'rollback', by: 'alice', command: 'reject' });
  });
});

describe('an answer when no gate is open', () => {
  it('is applied once and said in the check, not dropped silently', () => {
    const input = { ...atOpenGate(command('approve')), progress: { handled: [], approved: [] } };

    const result = applyOperator(input);

    expect(result.decision.action).toBe('hold');
    expect(result.decision.reason).toMatch(
      /\(`fledge approve` by alice was not applied: no approval gate was open\)$/,
    );
    expect(result.progress.approved).toEqual([]);
    expect(result.applied?.id).toBe('c-approve');
  });
});

describe('an approval while paused', () => {
  it('is recorded, and the pause still holds the rollout at its weight', () => {
    const approvedStep = resolveStrategy({
      steps: [
        { weight: 10, bakeMinutes: 2, approve: true },
        { weight: 50, bakeMinutes: 2 },
      ],
    });
    const pause = { since: '2026-11-02T10:05:00Z', by: 'bob', reason: 'investigating' };

    const result = applyOperator({
      ...atOpenGate(command('approve'), decision('advance', 'canary passes')),
      steps: approvedStep,
      requests: { command: command('approve'), pause },
      progress: { handled: [], approved: [], gate: { id: 'step 1', openedAt: '2026-11-02T10:04:00Z' } },
    });

    expect(result.decision).toMatchObject({ action: 'hold', progress: { stepIndex: 0 } });
    expect(result.decision.reason).toMatch(/^step 1 approved by alice: .*; paused by bob since /);
    expect(result.progress).toMatchObject({ approved: ['step 1'], gate: undefined });

    const resumed = applyOperator({
      ...atOpenGate(undefined, decision('advance', 'canary passes')),
      steps: approvedStep,
      progress: result.progress,
    });
    expect(resumed.decision.action).toBe('advance');
  });
});

describe('a promotion without --skip-analysis', () => {
  const promoting = (d: Decision, verdict: OperatorInput['verdict']): OperatorInput => ({
    ...atOpenGate(command('promote'), d),
    verdict,
    progress: { handled: [], approved: [] },
  });

  it('does not override a rollback for an analysis that errored', () => {
    const result = applyOperator(
      promoting(decision('rollback', 'analysis failed 3 checks in a row: AccessDeniedException'), {
        verdict: 'error',
        reason: 'AccessDeniedException',
      }),
    );

    expect(result.decision.action).toBe('rollback');
    expect(result.decision.reason).toMatch(
      /a promotion asked by alice was not applied: the analysis errored/,
    );
    expect(result.forced).toBeUndefined();
  });

  it('does not override a rollback for missing data', () => {
    const result = applyOperator(
      promoting(decision('rollback', 'insufficient data after 30 extra minutes'), {
        verdict: 'inconclusive',
        reason: 'no canary requests',
      }),
    );

    expect(result.decision.action).toBe('rollback');
  });

  it('does not promote while the analysis errors, even on a hold', () => {
    const result = applyOperator(
      promoting(decision('hold', 'analysis error, checking again'), {
        verdict: 'error',
        reason: 'throttled',
      }),
    );

    expect(result.decision.action).toBe('hold');
  });

  it('promotes a check that holds, not yet conclusive', () => {
    const result = applyOperator(
      promoting(decision('hold', 'watching'), { verdict: 'inconclusive', reason: 'watching' }),
    );

    expect(result.decision.action).toBe('promote');
  });
});

describe('a pause at an open gate', () => {
  it("stops the gate's clock, so the gate does not time out at once when resumed", () => {
    const twoSteps = resolveStrategy({
      steps: [
        { weight: 10, bakeMinutes: 2, approve: true },
        { weight: 50, bakeMinutes: 2 },
      ],
    });
    const at = (minute: number) => new Date(Date.parse('2026-11-02T10:00:00Z') + minute * 60_000);
    const check = (minute: number, paused: boolean, progress: OperatorInput['progress']) =>
      applyOperator({
        ...atOpenGate(undefined, decision('advance', 'canary passes')),
        steps: twoSteps,
        gates: { ...gates, approvalTimeoutMinutes: 30, onApprovalTimeout: 'continue' },
        requests: paused ? { pause: { since: at(5).toISOString(), by: 'bob', reason: 'incident' } } : {},
        progress,
        now: at(minute),
      });

    // The gate opens at 10:00; paused from 10:05 to 10:55; 30 minutes allowed.
    let result = check(0, false, { handled: [], approved: [] });
    for (let minute = 5; minute <= 55; minute += 5) result = check(minute, true, result.progress);
    const resumed = check(60, false, result.progress);
    const later = check(90, false, resumed.progress);

    expect(resumed.decision.action).toBe('hold');
    expect(resumed.decision.reason).toMatch(/waiting at the step 1 gate/);
    expect(later.decision.action).toBe('advance');
    expect(later.decision.reason).toMatch(/not approved within 30 minutes/);
  });
});

describe('gates.maxPauseMinutes', () => {
  it("is measured on the rollout's clock, from the first check that saw the pause", () => {
    // The operator's clock is 2 hours behind the rollout's.
    const pause = { since: '2026-11-02T08:10:00Z', by: 'bob', reason: 'incident' };
    const at = (minute: number) => new Date(NOW.getTime() + minute * 60_000);
    const check = (minute: number, progress: OperatorInput['progress']) =>
      applyOperator({
        ...atOpenGate(undefined, decision('advance', 'canary passes')),
        steps: resolveStrategy({
          steps: [
            { weight: 10, bakeMinutes: 2 },
            { weight: 50, bakeMinutes: 2 },
          ],
        }),
        requests: { pause },
        progress,
        now: at(minute),
      });

    const first = check(0, { handled: [], approved: [] });
    const before = check(59, first.progress);
    const after = check(60, before.progress);

    expect(first.decision.action).toBe('hold');
    expect(before.decision.action).toBe('hold');
    expect(after.decision).toMatchObject({
      action: 'rollback',
      reason: expect.stringMatching(/for more than gates.maxPauseMinutes \(60\)/),
    });
  });

  it('is one budget for all the pauses of a rollout: pausing again and again cannot outlast it', () => {
    // Plan fits the execution's time limit with gates.maxPauseMinutes of pausing, once. Three pauses of
    // 25 minutes each, every one shorter than the budget, add up to more than it.
    const at = (minute: number) => new Date(NOW.getTime() + minute * 60_000);
    const pauseAt = (minute: number) => ({ since: at(minute).toISOString(), by: 'bob', reason: 'incident' });
    const check = (
      minute: number,
      pause: ReturnType<typeof pauseAt> | undefined,
      p: OperatorInput['progress'],
    ) =>
      applyOperator({
        ...atOpenGate(undefined, decision('advance', 'canary passes')),
        steps: resolveStrategy({
          steps: [
            { weight: 10, bakeMinutes: 2 },
            { weight: 50, bakeMinutes: 2 },
          ],
        }),
        requests: pause ? { pause } : {},
        progress: p,
        now: at(minute),
      });

    let p: OperatorInput['progress'] = { handled: [], approved: [] };
    const results: Array<ReturnType<typeof check>> = [];
    for (const start of [0, 30, 60]) {
      const pause = pauseAt(start);
      for (let minute = start; minute <= start + 25; minute += 1) {
        const result = check(minute, pause, p);
        results.push(result);
        p = result.progress;
        if (result.decision.action === 'rollback') break;
      }
      if (results.at(-1)?.decision.action === 'rollback') break;
      // Resumed: the next check goes on without the pause.
      p = check(start + 26, undefined, p).progress;
    }

    const last = results.at(-1);
    expect(last?.decision).toMatchObject({
      action: 'rollback',
      reason: expect.stringMatching(
        /^paused by bob for more than gates\.maxPauseMinutes \(60\) in all \(52 minute\(s\) of it in earlier pauses\); rolled back$/,
      ),
    });
    // The third pause, 8 minutes in: 26 + 26 + 8 = 60.
    expect(last?.progress.pause?.since).toBe(at(60).toISOString());
    expect(results.filter((r) => r.decision.action === 'rollback')).toHaveLength(1);
    expect(results[0]?.decision.reason).toMatch(/60 minute\(s\) of pause left/);
  });
});

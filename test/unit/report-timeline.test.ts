/**
 * The report's timeline model, built from real runs of the state machine: from the local runner's event
 * log, and from the same run's Step Functions execution history read through the SDK (mocked with
 * aws-sdk-client-mock, fed the history in the real GetExecutionHistory shape).
 */
import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import { runLocal } from '../../cli/local/runner';
import { executionTimeline, recordRun, renderReport } from '../../cli/reports/html';
import { toReport } from '../../cli/reports/progress';
import { fromExecutionHistory, fromHistoryFile } from '../../shared/report/history';
import { buildTimeline } from '../../shared/report/timeline';
import type { RolloutState } from '../../shared/steps/rollout';
import { FakeMetrics, FakeRouter, fakeDeps, steadyMinute } from '../support/fakes';
import { type RecordedRollout, recordRollout } from '../support/rollouts';
import { toExecutionHistory } from '../support/sfn-history';

let rolledBack: RecordedRollout;
let promoted: RecordedRollout;

beforeAll(async () => {
  rolledBack = await recordRollout('rolled-back');
  promoted = await recordRollout('promoted');
});

describe('the timeline of a local run', () => {
  it('has the weight step by step, every check, and the outcome the run reported', () => {
    const { timeline, result } = rolledBack;
    const report = toReport(result);

    expect(timeline.title).toBe('checkout:live');
    expect(timeline).toMatchObject({
      status: 'rolled-back',
      baseline: '2',
      canary: '3',
      reason: report.reason,
    });
    expect(timeline.weights.map((w) => [w.label, w.weight])).toEqual([
      ['start', 0],
      ['step 1/2', 10],
      ['rolled back', 0],
    ]);
    expect(timeline.checks.map((c) => c.n)).toEqual(timeline.checks.map((_, i) => i + 1));
    expect(timeline.checks.at(-1)).toMatchObject({ verdict: 'fail', action: 'rollback', weight: 10 });
    expect(timeline.checks.at(-1)?.evidence).toEqual(report.verdict?.evidence);
    expect(timeline.endedAt).toBe(report.finishedAt);
  });

  it('holds each minute once, in order, as the checks first saw it', () => {
    const { timeline, deps } = promoted;

    const ats = timeline.minutes.map((m) => m.at);

    expect(new Set(ats).size).toBe(ats.length);
    expect([...ats].sort()).toEqual(ats);
    // The last check's window covers exactly the minutes the report holds, with the same totals.
    const last = timeline.checks.at(-1)?.evidence;
    const sum = (arm: 'canary' | 'baseline', field: 'requests' | 'errors') =>
      timeline.minutes.reduce((s, m) => s + m[arm][field], 0);
    expect(last?.minutes).toBe(timeline.minutes.length);
    expect(last?.canary).toMatchObject({
      requests: sum('canary', 'requests'),
      errors: sum('canary', 'errors'),
    });
    expect(last?.baseline).toMatchObject({
      requests: sum('baseline', 'requests'),
      errors: sum('baseline', 'errors'),
    });
    expect(timeline.status).toBe('promoted');
    expect(timeline.endedAt).toBe(deps.clock.now().toISOString());
  });

  it('marks a failed hook and a step that failed and was retried', async () => {
    const router = new FakeRouter();
    const metrics = new FakeMetrics((at) => steadyMinute(at, 1000, router.weight / 100, 0.005, 0.005));
    const deps = fakeDeps(router, metrics);
    const recorder = recordRun(deps.clock);
    let attempts = 0;
    const result = await runLocal({
      input: {
        target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
        strategy: 'Canary10Percent5Minutes',
        hooks: { beforeAllowTraffic: 'fledge-hook-smoke' },
      },
      deps,
      virtualClock: deps.clock,
      onEvent: recorder.onEvent,
      invoke: async () => ({ status: 'Failed' }),
      taskOverrides: {
        BeforeAllowTraffic: async (input, real) => {
          attempts += 1;
          if (attempts === 1)
            throw Object.assign(new Error('Rate exceeded'), { name: 'Lambda.TooManyRequestsException' });
          return real(input);
        },
      },
    });

    const timeline = recorder.timeline(result.executionArn);

    expect(timeline.status).toBe('rolled-back');
    expect(timeline.events).toEqual([
      expect.objectContaining({
        kind: 'hook',
        title: 'BeforeAllowTraffic attempt failed: Lambda.TooManyRequestsException',
        ok: false,
      }),
      expect.objectContaining({
        kind: 'hook',
        title: 'beforeAllowTraffic hook fledge-hook-smoke: Failed',
        ok: false,
      }),
    ]);
    expect(timeline.weights.map((w) => w.weight)).toEqual([0, 0]);
  });
  it('marks an approval gate, a pause, a resume and an abort, saying who and why', async () => {
    const router = new FakeRouter();
    const metrics = new FakeMetrics((at) =>
      steadyMinute(at, 1000, Math.max(router.weight, 10) / 100, 0.005, 0.005),
    );
    const deps = fakeDeps(router, metrics);
    const recorder = recordRun(deps.clock);
    const by = 'arn:aws:iam::123456789012:user/ops';
    const at = '2026-11-02T10:03:00.000Z';
    const asked: string[] = [];
    const log: RecordedRollout['events'] = [];
    const ask = (what: string, when: boolean) => when && !asked.includes(what) && asked.push(what) > 0;
    const result = await runLocal({
      input: {
        target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
        strategy: {
          steps: [
            { weight: 10, bakeMinutes: 2, approve: true },
            { weight: 30, bakeMinutes: 2 },
            { weight: 60, bakeMinutes: 2 },
          ],
        },
      },
      deps,
      virtualClock: deps.clock,
      onEvent: (event) => {
        recorder.onEvent(event);
        log.push({ at: deps.clock.now().toISOString(), event });
      },
      taskOverrides: {
        // Each request is left just before the check that first finds the rollout where it applies.
        Evaluate: async (taskInput, real) => {
          const rollout = (taskInput as { rollout: RolloutState }).rollout;
          const { key, owner } = rollout.record;
          const step = rollout.progress.stepIndex;
          const paused = rollout.next.reason.startsWith('paused');
          if (ask('approve', rollout.operator?.gate !== undefined)) {
            const command = { id: 'c-1', action: 'approve' as const, reason: 'p99 fine', by, at };
            await deps.records.request(key, owner, { command });
          } else if (ask('pause', step === 1)) {
            await deps.records.request(key, owner, { pause: { since: at, by, reason: 'dashboards' } });
          } else if (ask('resume', paused)) {
            await deps.records.request(key, owner, { resume: true });
          } else if (ask('abort', step === 2)) {
            const command = { id: 'c-2', action: 'abort' as const, reason: 'escalation', by, at };
            await deps.records.request(key, owner, { command });
          }
          return real(taskInput);
        },
      },
    });

    const timeline = recorder.timeline(result.executionArn);

    expect(asked).toEqual(['approve', 'pause', 'resume', 'abort']);
    expect(timeline.status).toBe('rolled-back');
    expect(timeline.events.map((e) => [e.kind, e.title, e.ok])).toEqual([
      ['gate', 'step 1 gate opened: waiting for approval', undefined],
      ['gate', `fledge approve by ${by}: p99 fine`, undefined],
      ['operator', `paused by ${by}: dashboards`, undefined],
      ['operator', 'resumed', undefined],
      ['operator', `fledge abort by ${by}: escalation`, false],
    ]);
    // Each mark is at the check that applied it, and the same whichever history it is read from.
    for (const event of timeline.events) expect(timeline.checks.map((c) => c.at)).toContain(event.at);
    expect(buildTimeline(result.executionArn, fromExecutionHistory(toExecutionHistory(log)))).toEqual(
      timeline,
    );
  });

  it('describes a run Plan refused, with the target from the input and nothing drawn', async () => {
    const router = new FakeRouter();
    const deps = fakeDeps(router, new FakeMetrics(() => undefined));
    const recorder = recordRun(deps.clock);
    const result = await runLocal({
      input: {
        target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
        strategy: 'Linear150PercentEvery1Minute',
      },
      deps,
      virtualClock: deps.clock,
      onEvent: recorder.onEvent,
    });

    const timeline = recorder.timeline(result.executionArn);
    const html = await renderReport(timeline);

    expect(timeline).toMatchObject({ title: 'checkout:live', status: 'rejected', checks: [], weights: [] });
    expect(timeline.reason).toMatch(/^InvalidInputError: invalid rollout input: strategy/);
    expect(html).toContain('<p>No check ran.</p>');
  });
});

describe('the timeline of a deployed execution', () => {
  it('is the same whether read from the local event log or from GetExecutionHistory, across pages', async () => {
    for (const run of [rolledBack, promoted]) {
      const history = toExecutionHistory(run.events);
      const sfn = mockClient(SFNClient);
      const half = Math.floor(history.length / 2);
      sfn
        .on(GetExecutionHistoryCommand)
        .resolvesOnce({ events: history.slice(0, half), nextToken: 'page-2' })
        .resolvesOnce({ events: history.slice(half) });

      const timeline = await executionTimeline(
        run.result.executionArn,
        new SFNClient({ region: 'eu-west-1' }),
      );

      expect(timeline).toEqual(run.timeline);
      const calls = sfn.commandCalls(GetExecutionHistoryCommand).map((c) => c.args[0].input);
      expect(calls).toEqual([
        expect.objectContaining({ executionArn: run.result.executionArn, includeExecutionData: true }),
        expect.objectContaining({ nextToken: 'page-2' }),
      ]);
      sfn.restore();
    }
  });

  it('reads a history saved by the AWS CLI, with timestamps in seconds', () => {
    const history = toExecutionHistory(rolledBack.events).map((e) => ({
      ...e,
      timestamp: (e.timestamp?.getTime() ?? 0) / 1000,
    }));

    const timeline = buildTimeline(rolledBack.result.executionArn, fromHistoryFile({ events: history }));

    expect(timeline).toEqual(rolledBack.timeline);
    expect(() => fromHistoryFile({ executions: [] })).toThrow(/get-execution-history/);
  });

  it('shows an execution still running, and one stopped, with the weight it left', () => {
    const history = toExecutionHistory(promoted.events);
    const cut = history.findIndex(
      (e) => e.type === 'TaskStateEntered' && e.stateEnteredEventDetails?.name === 'Promote',
    );
    const running = history.slice(0, cut);

    const live = buildTimeline('arn', fromExecutionHistory(running));
    const stopped = buildTimeline(
      'arn',
      fromExecutionHistory([
        ...running,
        {
          id: cut + 1,
          timestamp: new Date('2026-11-02T10:30:00Z'),
          type: 'ExecutionAborted',
          executionAbortedEventDetails: {},
        },
      ]),
    );

    expect(live.status).toBe('running');
    expect(live.endedAt).toBeUndefined();
    expect(live.weights.at(-1)?.weight).toBe(50);
    expect(stopped).toMatchObject({ status: 'aborted', endedAt: '2026-11-02T10:30:00.000Z' });
    expect(stopped.reason).toMatch(/traffic stays as last set/);
  });

  it('merges events from other sources, such as operator actions, in time order', () => {
    const entries = fromExecutionHistory(toExecutionHistory(promoted.events));
    const approve = { at: '2026-11-02T10:05:30.000Z', kind: 'operator' as const, title: 'approved by alice' };

    const timeline = buildTimeline('arn', entries, [approve]);

    expect(timeline.events).toContainEqual(approve);
    expect(timeline.events.map((e) => e.at)).toEqual([...timeline.events.map((e) => e.at)].sort());
  });
});

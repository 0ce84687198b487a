/**
 * Lifecycle events exactly as fledge puts them on EventBridge during real runs of the state machine:
 * the real publisher, whose PutEvents calls are caught by aws-sdk-client-mock, for a promoted, a
 * rolled-back and a rollback-failed rollout (whose recovery fails too), one that recovery restores, one
 * stopped by a traffic conflict, and two that operators forced (an abort, a promotion skipping analysis).
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { runLocal } from '../../cli/local/runner';
import { EventBridgePublisher } from '../../shared/aws/events';
import { TrafficConflictError } from '../../shared/core/errors';
import type { OperatorCommand } from '../../shared/core/operator';
import type { RolloutState } from '../../shared/steps/rollout';
import { FakeMetrics, FakeRouter, fakeDeps, steadyMinute } from './fakes';
import { recordRollout } from './rollouts';

export async function captureLifecycleEvents(): Promise<PutEventsRequestEntry[]> {
  const eventBridge = mockClient(EventBridgeClient);
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  try {
    const publisher = new EventBridgePublisher('default', new EventBridgeClient({ region: 'eu-west-1' }));
    await recordRollout('promoted', { events: publisher });
    await recordRollout('rolled-back', { events: publisher });
    // Every rollback attempt is denied: the state machine announces Rollback Failed itself.
    const router = new FakeRouter();
    router.failures.rollback = Array.from({ length: 20 }, () =>
      Object.assign(new Error('User is not authorized to perform: lambda:UpdateAlias'), {
        name: 'AccessDeniedException',
      }),
    );
    const metrics = new FakeMetrics((at) =>
      steadyMinute(at, 1000, Math.max(router.weight, 10) / 100, 0.05, 0.005),
    );
    const deps = { ...fakeDeps(router, metrics), events: publisher };
    await runLocal({
      input: {
        target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
        strategy: 'Canary10Percent5Minutes',
      },
      deps,
      virtualClock: deps.clock,
    });
    // Rollback fails 11 times: the state machine gives up, and recovery, trying once more, restores it.
    const recovered = new FakeRouter();
    recovered.failures.rollback = Array.from({ length: 11 }, () =>
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }),
    );
    const recoveredDeps = {
      ...fakeDeps(
        recovered,
        new FakeMetrics((at) => steadyMinute(at, 1000, Math.max(recovered.weight, 10) / 100, 0.05, 0.005)),
      ),
      events: publisher,
    };
    await runLocal({
      input: {
        target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
        strategy: 'Canary10Percent5Minutes',
      },
      deps: recoveredDeps,
      virtualClock: recoveredDeps.clock,
    });
    // Someone else moved the alias: the state machine announces the conflict itself.
    const conflicted = new FakeRouter();
    conflicted.failures.setWeight = [
      new TrafficConflictError(
        'alias live now routes version 1 with 33% to version 7, which fledge did not write; it was left as it is.',
      ),
    ];
    const conflictedDeps = {
      ...fakeDeps(conflicted, new FakeMetrics((at) => steadyMinute(at, 1000, 0.1, 0.005, 0.005))),
      events: publisher,
    };
    await runLocal({
      input: {
        target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
        strategy: 'Canary10Percent5Minutes',
      },
      deps: conflictedDeps,
      virtualClock: conflictedDeps.clock,
    });
    // Operators force both ends: an abort at the second check, a promotion skipping the analysis at the first.
    for (const [action, extra] of [
      ['abort', {}],
      ['promote', { skipAnalysis: true }],
    ] as const) {
      const forced = new FakeRouter();
      const forcedDeps = {
        ...fakeDeps(forced, new FakeMetrics((at) => steadyMinute(at, 1000, 0.1, 0.005, 0.005))),
        events: publisher,
      };
      let checks = 0;
      const command: OperatorCommand = {
        id: `${action}-1`,
        action,
        reason: `${action} by the test`,
        by: 'arn:aws:iam::123456789012:user/ops',
        at: '2026-11-02T10:03:00.000Z',
        ...extra,
      };
      await runLocal({
        input: {
          target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
          strategy: 'Canary10Percent30Minutes',
        },
        deps: forcedDeps,
        virtualClock: forcedDeps.clock,
        taskOverrides: {
          Evaluate: async (taskInput, real) => {
            checks += 1;
            const { record } = (taskInput as { rollout: RolloutState }).rollout;
            if (checks === (action === 'abort' ? 2 : 1))
              await forcedDeps.records.request(record.key, record.owner, { command });
            return real(taskInput);
          },
        },
      });
    }
    return eventBridge.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries ?? []);
  } finally {
    eventBridge.restore();
  }
}

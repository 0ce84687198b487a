/**
 * Writes a local run's event log as the execution history Step Functions would return for it, in the
 * real GetExecutionHistory event shape: numbered events with `previousEventId`, one `*StateEntered` /
 * `*StateExited` pair per state with JSON-string input and output, `LambdaFunctionScheduled`/`Started`/
 * `Succeeded` (or `Failed`, then scheduled again on a retry) for Tasks that name a function, `TaskScheduled`/
 * `Started`/`Succeeded` for service integrations, no exit event for a Fail state, and the execution's end.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { EventLog } from '../../cli/local/runner';
import { loadDefinition } from '../../cli/shared/definition';

const ROLE = 'arn:aws:iam::123456789012:role/fledge-canary-StateMachineRole';

export function toExecutionHistory(events: ReadonlyArray<{ at: string; event: EventLog }>): HistoryEvent[] {
  const { definition, integrations } = loadDefinition();
  const out: HistoryEvent[] = [];
  const add = (at: string, event: Omit<HistoryEvent, 'id' | 'timestamp' | 'previousEventId'>) => {
    const id = out.length + 1;
    out.push({ id, previousEventId: id - 1, timestamp: new Date(at), ...event } as HistoryEvent);
  };
  const data = (value: unknown) => JSON.stringify(value ?? null);
  const details = { truncated: false };
  // Per Task state, whether an attempt is scheduled and not yet ended.
  const scheduled = new Set<string>();
  const schedule = (at: string, name: string, input: unknown) => {
    const resource = definition.States[name]?.Resource;
    const integration = integrations[name];
    if (integration) {
      const [, , , , , service, action] = integration.split(':');
      add(at, {
        type: 'TaskScheduled',
        taskScheduledEventDetails: {
          resourceType: (service ?? '').replace(/^::/, ''),
          resource: action ?? '',
          region: 'eu-west-1',
          parameters: data(input),
        },
      });
      add(at, {
        type: 'TaskStarted',
        taskStartedEventDetails: { resourceType: 'lambda', resource: 'invoke' },
      });
    } else {
      add(at, {
        type: 'LambdaFunctionScheduled',
        lambdaFunctionScheduledEventDetails: {
          resource: String(resource),
          input: data(input),
          inputDetails: details,
        },
      });
      add(at, { type: 'LambdaFunctionStarted' });
    }
    scheduled.add(name);
  };
  for (const { at, event } of events) {
    switch (event.type) {
      case 'ExecutionStarted':
        add(at, {
          type: 'ExecutionStarted',
          executionStartedEventDetails: { input: data(event.input), inputDetails: details, roleArn: ROLE },
        });
        break;
      case 'StateEntered': {
        const { name, type, input } = event.state;
        add(at, {
          type: `${type}StateEntered` as HistoryEvent['type'],
          stateEnteredEventDetails: { name, input: data(input), inputDetails: details },
        });
        if (type === 'Task') schedule(at, name, input);
        break;
      }
      case 'StateFailed': {
        const { name, type } = event.state;
        if (type !== 'Task' || !scheduled.has(name)) break;
        scheduled.delete(name);
        const failure = { error: event.Error, cause: String(event.Cause ?? '') };
        add(
          at,
          integrations[name]
            ? {
                type: 'TaskFailed',
                taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', ...failure },
              }
            : { type: 'LambdaFunctionFailed', lambdaFunctionFailedEventDetails: failure },
        );
        break;
      }
      case 'StateRetried':
        // Step Functions records no retry event: the next attempt is simply scheduled again.
        schedule(at, event.state.name, event.state.input);
        break;
      case 'StateExited': {
        const { name, type, output } = event.state;
        if (type === 'Task' && scheduled.delete(name)) {
          add(
            at,
            integrations[name]
              ? {
                  type: 'TaskSucceeded',
                  taskSucceededEventDetails: {
                    resourceType: 'lambda',
                    resource: 'invoke',
                    output: data(output),
                  },
                }
              : {
                  type: 'LambdaFunctionSucceeded',
                  lambdaFunctionSucceededEventDetails: { output: data(output), outputDetails: details },
                },
          );
        }
        if (type === 'Fail') break;
        add(at, {
          type: `${type}StateExited` as HistoryEvent['type'],
          stateExitedEventDetails: { name, output: data(output), outputDetails: details },
        });
        break;
      }
      case 'ExecutionSucceeded':
        add(at, {
          type: 'ExecutionSucceeded',
          executionSucceededEventDetails: { output: data(event.output), outputDetails: details },
        });
        break;
      case 'ExecutionFailed':
        add(at, {
          type: 'ExecutionFailed',
          executionFailedEventDetails: { error: event.Error, cause: String(event.Cause ?? '') },
        });
        break;
    }
  }
  return out;
}

/**
 * Turns the two records of an execution into timeline entries: a local run's event log (the
 * aws-local-stepfunctions interpreter, stamped with the run's clock) and Step Functions'
 * GetExecutionHistory events (from the API, or saved by `aws stepfunctions get-execution-history`).
 * Pure: no SDK call, no clock read.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { InvalidInputError } from '../core/errors';
import type { HistoryEntry } from './timeline';

/** The part of an aws-local-stepfunctions event log entry the report reads. */
export interface LocalEvent {
  type: string;
  state?: { name: string; type?: string; input?: unknown; output?: unknown };
  input?: unknown;
  output?: unknown;
  Error?: string;
  Cause?: unknown;
}

/**
 * A local run's events, each with the time the run's clock showed when it happened (the interpreter's
 * own timestamps are wall time, which a virtual clock does not follow).
 */
export function fromLocalRun(events: ReadonlyArray<{ at: string; event: LocalEvent }>): HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  for (const { at, event } of events) {
    const state = event.state?.name ?? '';
    switch (event.type) {
      case 'ExecutionStarted':
        entries.push({ type: 'ExecutionStarted', at, input: event.input });
        break;
      case 'StateEntered':
        entries.push({ type: 'StateEntered', at, state, input: event.state?.input });
        break;
      case 'StateExited':
        entries.push({ type: 'StateExited', at, state, output: event.state?.output });
        break;
      case 'StateFailed':
        // A Fail state "fails" too in the interpreter; Step Functions records only the execution's failure.
        if (event.state?.type === 'Fail') break;
        entries.push({
          type: 'StateFailed',
          at,
          state,
          error: event.Error ?? 'Error',
          cause: text(event.Cause),
        });
        break;
      case 'ExecutionSucceeded':
        entries.push({ type: 'ExecutionSucceeded', at, output: event.output });
        break;
      case 'ExecutionFailed':
        entries.push({
          type: 'ExecutionFailed',
          at,
          error: event.Error ?? 'Error',
          cause: text(event.Cause),
        });
        break;
      case 'ExecutionAborted':
        entries.push({ type: 'ExecutionAborted', at });
        break;
      case 'ExecutionTimeout':
        entries.push({ type: 'ExecutionTimedOut', at });
        break;
    }
  }
  return entries;
}

/** A history event as the SDK returns it, or as the AWS CLI prints it (timestamps as text or seconds). */
export type AnyHistoryEvent = Omit<HistoryEvent, 'timestamp'> & { timestamp?: Date | string | number };

/** Failure events of a Task state, by type, with the key their details are under. */
const TASK_FAILURES: Record<string, keyof HistoryEvent> = {
  LambdaFunctionFailed: 'lambdaFunctionFailedEventDetails',
  LambdaFunctionTimedOut: 'lambdaFunctionTimedOutEventDetails',
  LambdaFunctionScheduleFailed: 'lambdaFunctionScheduleFailedEventDetails',
  LambdaFunctionStartFailed: 'lambdaFunctionStartFailedEventDetails',
  TaskFailed: 'taskFailedEventDetails',
  TaskTimedOut: 'taskTimedOutEventDetails',
  TaskStartFailed: 'taskStartFailedEventDetails',
  TaskSubmitFailed: 'taskSubmitFailedEventDetails',
};

/**
 * Step Functions' execution history, oldest first. Failure events do not name their state: the state
 * is the one most recently entered.
 */
export function fromExecutionHistory(events: readonly AnyHistoryEvent[]): HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  let current = '';
  for (const event of events) {
    const at = isoTime(event.timestamp);
    const type = event.type ?? '';
    if (type === 'ExecutionStarted') {
      entries.push({ type, at, input: json(event.executionStartedEventDetails?.input) });
    } else if (type.endsWith('StateEntered')) {
      current = event.stateEnteredEventDetails?.name ?? '';
      entries.push({
        type: 'StateEntered',
        at,
        state: current,
        input: json(event.stateEnteredEventDetails?.input),
      });
    } else if (type.endsWith('StateExited')) {
      entries.push({
        type: 'StateExited',
        at,
        state: event.stateExitedEventDetails?.name ?? current,
        output: json(event.stateExitedEventDetails?.output),
      });
    } else if (TASK_FAILURES[type]) {
      const details = event[TASK_FAILURES[type]] as { error?: string; cause?: string } | undefined;
      entries.push({
        type: 'StateFailed',
        at,
        state: current,
        error: details?.error ?? (type.includes('TimedOut') ? 'States.Timeout' : type),
        cause: details?.cause ?? '',
      });
    } else if (type === 'ExecutionSucceeded') {
      entries.push({ type, at, output: json(event.executionSucceededEventDetails?.output) });
    } else if (type === 'ExecutionFailed') {
      const details = event.executionFailedEventDetails;
      entries.push({ type, at, error: details?.error ?? 'States.Runtime', cause: details?.cause ?? '' });
    } else if (type === 'ExecutionAborted' || type === 'ExecutionTimedOut') {
      const details = event.executionAbortedEventDetails ?? event.executionTimedOutEventDetails;
      entries.push({
        type,
        at,
        ...(details?.error ? { error: details.error } : {}),
        ...(details?.cause ? { cause: details.cause } : {}),
      });
    }
  }
  return entries;
}

/** The JSON `aws stepfunctions get-execution-history --output json` prints: `{ "events": [...] }`. */
export function fromHistoryFile(file: unknown): HistoryEntry[] {
  const events = (file as { events?: unknown } | undefined)?.events;
  if (!Array.isArray(events)) {
    throw new InvalidInputError(
      'not an execution history: expected the JSON of `aws stepfunctions get-execution-history`, with an "events" list',
    );
  }
  return fromExecutionHistory(events as AnyHistoryEvent[]);
}

function isoTime(value: Date | string | number | undefined): string {
  if (value === undefined) return new Date(0).toISOString();
  // The AWS CLI prints epoch seconds (with a fraction) or ISO 8601, depending on its cli_timestamp_format.
  const date = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
  return date.toISOString();
}

function json(value: string | undefined): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function text(cause: unknown): string {
  return typeof cause === 'string' ? cause : JSON.stringify(cause ?? '');
}

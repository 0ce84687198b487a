/**
 * Runs the real ASL in-process with aws-local-stepfunctions, calling the real handlers, which call
 * whatever AWS endpoint the SDK is configured for.
 */
// aws-local-stepfunctions uses Promise.withResolvers (Node 22+); without it every Task throws.
import 'core-js/actual/promise/with-resolvers.js';
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { StateMachine } from 'aws-local-stepfunctions';
import { createHandler as evaluateHandler } from '../functions/evaluate-metrics/handler';
import { createHandler as planHandler } from '../functions/plan/handler';
import { createHandler as promoteHandler } from '../functions/promote/handler';
import { createHandler as rollbackHandler } from '../functions/rollback/handler';
import { createHandler as setWeightHandler } from '../functions/set-weight/handler';
import type { VirtualClock } from '../shared/clock';
import type { Deps } from '../shared/deps';
import { type Definition, loadDefinition, waitSeconds } from './definition';

/** One entry of the interpreter's execution event log (the package does not export the type). */
export type EventLog =
  ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

type LambdaHandler = (event: never, context: Context) => Promise<unknown>;

export interface LocalRunOptions {
  input: unknown;
  deps: Deps;
  /** With a virtual clock, Wait states and retry pauses take no wall time and move this clock instead. */
  virtualClock?: VirtualClock | undefined;
  /** Called for every state the execution enters, exits or fails. */
  onEvent?: (event: EventLog) => void;
  /** Per Task state name, a function run instead of the real handler (tests inject faults here). */
  taskOverrides?: Record<
    string,
    (input: unknown, real: (input: unknown) => Promise<unknown>) => Promise<unknown>
  >;
  definition?: Definition;
}

export interface LocalRunResult {
  executionArn: string;
  status: 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: string;
  cause?: string;
  /** Names of the states entered, in order. */
  path: string[];
}

export async function runLocal(options: LocalRunOptions): Promise<LocalRunResult> {
  const loaded = loadDefinition();
  const definition = options.definition ?? loaded.definition;
  const handlers: Record<string, LambdaHandler> = {
    plan: planHandler(() => options.deps),
    'set-weight': setWeightHandler(() => options.deps),
    'evaluate-metrics': evaluateHandler(() => options.deps),
    promote: promoteHandler(() => options.deps),
    rollback: rollbackHandler(() => options.deps),
  };
  const name = `local-${randomUUID()}`;
  const executionArn = `arn:aws:states:us-east-1:000000000000:execution:fledge-canary:${name}`;
  const clock = options.virtualClock;
  let pendingAdvance: Promise<void> = Promise.resolve();

  const taskResourceLocalHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const [stateName, fn] of Object.entries(loaded.taskFunctions)) {
    const handler = handlers[fn];
    if (!handler) throw new Error(`state ${stateName} names function '${fn}', which has no handler`);
    const real = async (input: unknown) => handler(structuredClone(input) as never, lambdaContext(fn));
    const override = options.taskOverrides?.[stateName];
    taskResourceLocalHandlers[stateName] = async (input) => {
      await pendingAdvance; // a virtual wait finishes moving the clock before the next task runs
      return override ? override(input, real) : real(input);
    };
  }
  const waitStates = Object.entries(definition.States).filter(([, s]) => s.Type === 'Wait');
  const machine = new StateMachine(definition as never, { validationOptions: { checkPaths: true } });
  const execution = machine.run(options.input as never, {
    overrides: {
      taskResourceLocalHandlers: taskResourceLocalHandlers as never,
      ...(clock
        ? {
            // 1 ms, not 0: a real timer lets the event log below move the clock before the wait ends.
            waitTimeOverrides: Object.fromEntries(waitStates.map(([n]) => [n, 1])),
            retryIntervalOverrides: Object.fromEntries(Object.keys(loaded.taskFunctions).map((n) => [n, 0])),
          }
        : {}),
    },
    context: {
      Execution: { Id: executionArn, Name: name, StartTime: new Date().toISOString(), Input: options.input },
      StateMachine: {
        Id: 'arn:aws:states:us-east-1:000000000000:stateMachine:fledge-canary',
        Name: 'fledge-canary',
      },
    } as never,
  });

  const path: string[] = [];
  let failure: { error: string; cause: string } | undefined;
  const consume = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered') {
        path.push(event.state.name);
        const state = definition.States[event.state.name];
        if (clock && state?.Type === 'Wait') {
          const seconds = waitSeconds(state, event.state.input);
          pendingAdvance = pendingAdvance.then(() => clock.advance(seconds));
        }
      }
      if (event.type === 'ExecutionFailed')
        failure = { error: event.Error, cause: String(event.Cause ?? '') };
      options.onEvent?.(event);
    }
  })();

  try {
    const output = await execution.result;
    await consume;
    return { executionArn, status: 'SUCCEEDED', output, path };
  } catch (error) {
    await consume;
    return {
      executionArn,
      status: 'FAILED',
      error: failure?.error ?? (error as Error).name,
      cause: failure?.cause ?? (error as Error).message,
      path,
    };
  }
}

function lambdaContext(functionName: string): Context {
  const deadline = Date.now() + 120_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `fledge-${functionName}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:fledge-${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/fledge-${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

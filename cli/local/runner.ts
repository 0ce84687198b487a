/**
 * Runs the real ASL in-process with aws-local-stepfunctions, calling the real handlers, which call
 * whatever AWS endpoint the SDK is configured for.
 */
// aws-local-stepfunctions uses Promise.withResolvers (Node 22+); without it every Task throws.
import 'core-js/actual/promise/with-resolvers.js';
import { randomUUID } from 'node:crypto';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { Context } from 'aws-lambda';
import { StateMachine } from 'aws-local-stepfunctions';
import { createHandler as evaluateHandler } from '../../functions/evaluate-metrics/handler';
import { createHandler as planHandler } from '../../functions/plan/handler';
import { createHandler as promoteHandler } from '../../functions/promote/handler';
import { createHandler as provisionHandler } from '../../functions/provision-canary/handler';
import { createHandler as rollbackHandler } from '../../functions/rollback/handler';
import { createHandler as setWeightHandler } from '../../functions/set-weight/handler';
import { lambdaClient } from '../../shared/aws/clients';
import type { EventPublisher, LifecycleEvent } from '../../shared/aws/events';
import type { VirtualClock } from '../../shared/core/clock';
import type { ExecutionState } from '../../shared/core/record';
import { FUNCTION_TIMEOUT_SECONDS, type FunctionName } from '../../shared/lambda/timeouts';
import type { Deps } from '../../shared/steps/deps';
import { type Recovery, recoverExecution } from '../../shared/steps/recover';
import { type Definition, loadDefinition, waitSeconds } from '../shared/definition';

/** One entry of the interpreter's execution event log (the package does not export the type). */
export type EventLog =
  ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

type LambdaHandler = (event: never, context: Context) => Promise<unknown>;

/** A Task state that names a function, as the runner hands it to `runTask`. */
export interface FunctionTask {
  state: string;
  /** The Task's Resource: a function ARN in a deployed definition. */
  resource: string;
  input: unknown;
}

export interface LocalRunOptions {
  input: unknown;
  /** The dependencies of the in-process handlers (and of the local events:putEvents stand-in). */
  deps?: Deps;
  /** With a virtual clock, Wait states and retry pauses take no wall time and move this clock instead. */
  virtualClock?: VirtualClock | undefined;
  /** Called for every state the execution enters, exits or fails. */
  onEvent?: (event: EventLog) => void;
  /** Per Task state name, a function run instead of the real handler (tests inject faults here). */
  taskOverrides?: Record<
    string,
    (input: unknown, real: (input: unknown) => Promise<unknown>) => Promise<unknown>
  >;
  /**
   * The definition to run. Default: statemachines/canary.asl.yml, whose `Fn::GetAtt` Task resources
   * run the in-process handlers. A deployed definition names functions by ARN: give `runTask` with it.
   */
  definition?: Definition;
  /** Runs each Task that names a function, instead of the in-process handler (e.g. a deployed bundle). */
  runTask?: (task: FunctionTask) => Promise<unknown>;
  /** Replaces the local stand-in of a service integration, by Resource (e.g. `arn:aws:states:::events:putEvents`). */
  integrations?: Record<string, (input: unknown) => Promise<unknown>>;
  /** The state machine's ARN in the context object (default: a local one). */
  stateMachineArn?: string;
  /** Invokes a hook function (default: Lambda Invoke through the configured endpoint). */
  invoke?: (functionName: string, payload: unknown) => Promise<unknown>;
  /**
   * Each function's time limit in ms, as Lambda enforces it (default: shared/lambda/timeouts.ts). The
   * fault-injection tests scale it down together with the SDK's request timeouts.
   */
  functionTimeoutMs?: (fn: FunctionName) => number;
  /**
   * Stops the execution, as StopExecution does: no further state runs. The runner waits for the Task
   * in flight to settle (its write may still land) before it reports ABORTED.
   */
  signal?: AbortSignal;
  /** Called with the state the execution was in when the signal arrived. */
  onAbort?: (lastRollout: unknown) => void;
  /**
   * After the execution ends, recover its target as the deployed recover function would on the
   * execution's status change (default true; `fledge replay` turns it off).
   */
  recover?: boolean;
  /** Names this run's execution (default: a fresh local id). */
  executionName?: string;
}

export interface LocalRunResult {
  executionArn: string;
  status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  output?: unknown;
  error?: string;
  cause?: string;
  /** Names of the states entered, in order. */
  path: string[];
  /** What recovery did once the execution had ended (absent when it found nothing to do). */
  recovery?: Recovery;
}

export async function runLocal(options: LocalRunOptions): Promise<LocalRunResult> {
  const loaded = options.definition ? tasksOf(options.definition) : loadDefinition();
  const definition = options.definition ?? loaded.definition;
  const stateMachineArn =
    options.stateMachineArn ?? 'arn:aws:states:us-east-1:000000000000:stateMachine:fledge-canary';
  // Every event of a local run says so: its execution id is made up, and no deployed fledge ran it.
  const deps: Deps | undefined = options.deps && {
    ...options.deps,
    events: markedLocal(options.deps.events),
  };
  const name = options.executionName ?? `local-${randomUUID()}`;
  const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  const clock = options.virtualClock;
  const timeoutMs = options.functionTimeoutMs ?? ((fn: FunctionName) => FUNCTION_TIMEOUT_SECONDS[fn] * 1000);
  let pendingAdvance: Promise<void> = Promise.resolve();
  const clockSettled = async () => {
    if (!clock) return;
    // A retry is announced after its pause and runs at once: one turn of the event loop lets the event
    // log below see the announcement and move the clock first.
    await new Promise((resolve) => setImmediate(resolve));
    await pendingAdvance;
  };
  // Tasks still running: an aborted execution waits for them, as their writes may still land.
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    const done = () => inFlight.delete(work);
    work.then(done, done);
    return work;
  };

  const taskResourceLocalHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const [stateName, fn] of Object.entries(loaded.taskFunctions)) {
    const { runTask } = options;
    const real = runTask
      ? (input: unknown) => runTask({ state: stateName, resource: fn, input })
      : inProcess(fn, deps, timeoutMs(fn as FunctionName));
    const override = options.taskOverrides?.[stateName];
    taskResourceLocalHandlers[stateName] = async (input) => {
      await clockSettled(); // a virtual wait or retry pause finishes moving the clock before the task runs
      return track(override ? override(input, real) : real(input));
    };
  }
  const integrations = { ...localIntegrations(options, deps), ...options.integrations };
  for (const [stateName, resource] of Object.entries(loaded.integrations)) {
    const integration = integrations[resource];
    if (!integration)
      throw new Error(`state ${stateName} uses ${resource}, which the local runner cannot run`);
    const override = options.taskOverrides?.[stateName];
    taskResourceLocalHandlers[stateName] = async (input) => {
      await clockSettled();
      return track(override ? override(input, integration) : integration(input));
    };
  }
  const waitStates = Object.entries(definition.States).filter(([, s]) => s.Type === 'Wait');
  const machine = stateMachineOf(definition);
  const execution = machine.run(options.input as never, {
    overrides: {
      taskResourceLocalHandlers: taskResourceLocalHandlers as never,
      ...(clock
        ? {
            // 1 ms, not 0: a real timer lets the event log below move the clock before the wait ends.
            waitTimeOverrides: Object.fromEntries(waitStates.map(([n]) => [n, 1])),
            // A retry's pause moves the virtual clock instead (below), as long as Step Functions would wait.
            retryIntervalOverrides: Object.fromEntries(
              [...Object.keys(loaded.taskFunctions), ...Object.keys(loaded.integrations)].map((n) => [n, 0]),
            ),
          }
        : {}),
    },
    context: {
      Execution: { Id: executionArn, Name: name, StartTime: new Date().toISOString(), Input: options.input },
      StateMachine: { Id: stateMachineArn, Name: stateMachineArn.split(':').at(-1) },
    } as never,
  });

  const path: string[] = [];
  let failure: { error: string; cause: string } | undefined;
  let lastRollout: unknown;
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
      if (clock && event.type === 'StateRetried') {
        const seconds = retryPauseSeconds(event.retry.retrier, event.retry.attempt);
        pendingAdvance = pendingAdvance.then(() => clock.advance(seconds));
      }
      if (event.type === 'StateExited') {
        const rollout = (event.state.output as { rollout?: unknown } | undefined)?.rollout;
        if (rollout) lastRollout = rollout;
      }
      if (event.type === 'ExecutionFailed')
        failure = { error: event.Error, cause: String(event.Cause ?? '') };
      options.onEvent?.(event);
    }
  })();

  let aborted = false;
  const abort = () => {
    if (aborted) return;
    aborted = true;
    options.onAbort?.(lastRollout);
    execution.abort();
  };
  if (options.signal?.aborted) abort();
  options.signal?.addEventListener('abort', abort, { once: true });

  let result: LocalRunResult;
  try {
    const output = await execution.result;
    await consume;
    result = { executionArn, status: 'SUCCEEDED', output, path };
  } catch (error) {
    await consume.catch(() => undefined);
    if (aborted) {
      // StopExecution does not stop a Lambda already running: let it finish before anyone reads traffic.
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      const cause = String(options.signal?.reason ?? 'stopped');
      result = { executionArn, status: 'ABORTED', error: 'ExecutionAborted', cause, path };
    } else {
      result = {
        executionArn,
        status: 'FAILED',
        error: failure?.error ?? (error as Error).name,
        cause: failure?.cause ?? (error as Error).message,
        path,
      };
    }
  } finally {
    options.signal?.removeEventListener('abort', abort);
  }
  // Recovery needs the deps; a deployed definition run without them (test/deploy) recovers nothing.
  if (options.recover === false || !deps) return result;
  // What the deployed recover function does on the execution's status change.
  const ended: ExecutionState = {
    status: result.status,
    error: result.error,
    cause: options.signal?.aborted ? String(options.signal.reason ?? 'stopped') : result.cause,
    output: result.output === undefined ? undefined : JSON.stringify(result.output),
    // Its Tasks run in this process, and an aborted run waited for them above.
    tasksEnded: true,
  };
  const recovery = await recoverExecution(executionArn, deps, ended);
  // An aborted run says what recovery found even when it did nothing: its record may have been closed
  // by someone else (`fledge recover --force`), and the run must not claim it moved no traffic.
  const keep = recovery && (recovery.action !== 'none' || result.status === 'ABORTED');
  return keep ? { ...result, recovery } : result;
}

/**
 * How long Step Functions pauses before retry `attempt` (1 for the first): IntervalSeconds (default 1)
 * times BackoffRate (default 2) per earlier attempt, capped at MaxDelaySeconds, and with FULL jitter a
 * random share of that.
 */
export function retryPauseSeconds(
  retrier: {
    IntervalSeconds?: number;
    BackoffRate?: number;
    MaxDelaySeconds?: number;
    JitterStrategy?: 'NONE' | 'FULL';
  },
  attempt: number,
  random: () => number = Math.random,
): number {
  const backoff = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** Math.max(0, attempt - 1);
  const capped = Math.min(backoff, retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY);
  return retrier.JitterStrategy === 'FULL' ? random() * capped : capped;
}

const HANDLERS: Record<string, (deps: () => Deps) => LambdaHandler> = {
  plan: planHandler,
  'set-weight': setWeightHandler,
  'provision-canary': provisionHandler,
  'evaluate-metrics': evaluateHandler,
  promote: promoteHandler,
  rollback: rollbackHandler,
};

/** The real middy handler of a function, run in this process with the given dependencies. */
function inProcess(
  fn: string,
  deps: Deps | undefined,
  timeoutMs: number,
): (input: unknown) => Promise<unknown> {
  const create = HANDLERS[fn];
  if (!create) throw new Error(`a Task names function '${fn}', which has no in-process handler`);
  if (!deps) throw new Error(`the in-process handler of '${fn}' needs deps`);
  const handler = create(() => deps);
  // Plan names the trigger of a run it was given no event for: here `local`, not the console.
  const event = (input: unknown) => (fn === 'plan' ? { ...(input as object), local: true } : input);
  return async (input) => handler(structuredClone(event(input)) as never, lambdaContext(fn, timeoutMs));
}

/**
 * The definitions already validated in this process: each one's JSON, to the definition as validation
 * left it (the validator fills in defaults such as each state's QueryLanguage). Validating compiles the
 * ASL's JSON schema (ajv), a third of a local run's CPU; a definition that passed once passes again, so
 * later runs take a copy of the validated one and skip it. Map and Parallel states inherit the options.
 */
const validated = new Map<string, Definition>();

function stateMachineOf(definition: Definition): StateMachine {
  const key = JSON.stringify(definition);
  const known = validated.get(key);
  if (known)
    return new StateMachine(structuredClone(known) as never, { validationOptions: { noValidate: true } });
  const machine = new StateMachine(definition as never, { validationOptions: { checkPaths: true } });
  validated.set(key, structuredClone(definition));
  return machine;
}

/** The Task states of a deployed definition: service integrations, and functions named by ARN. */
function tasksOf(definition: Definition): ReturnType<typeof loadDefinition> {
  const taskFunctions: Record<string, string> = {};
  const integrations: Record<string, string> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    if (typeof state.Resource !== 'string') throw new Error(`state ${name}: Resource must be a string`);
    if (state.Resource.startsWith('arn:aws:states:::')) integrations[name] = state.Resource;
    else taskFunctions[name] = state.Resource;
  }
  return { definition, taskFunctions, integrations };
}

/** Local stand-ins for the Step Functions service integrations the ASL uses. */
function localIntegrations(
  options: LocalRunOptions,
  deps: Deps | undefined,
): Record<string, (input: unknown) => Promise<unknown>> {
  return {
    'arn:aws:states:::lambda:invoke': async (input) => {
      const { FunctionName, Payload } = input as { FunctionName: string; Payload: unknown };
      const payload = await (options.invoke ?? invokeLambda)(FunctionName, Payload);
      return { StatusCode: 200, Payload: payload };
    },
    'arn:aws:states:::events:putEvents': async (input) => {
      const { Entries } = input as {
        Entries: Array<{ DetailType: LifecycleEvent; Detail: Record<string, unknown> }>;
      };
      if (!deps) throw new Error('the local events:putEvents stand-in needs deps');
      for (const entry of Entries) await deps.events.publish(entry.DetailType, entry.Detail);
      return { FailedEntryCount: 0, Entries: Entries.map(() => ({ EventId: randomUUID() })) };
    },
  };
}

/** Adds `local: true` to every lifecycle event a local run publishes (docs/EVENTS.md). */
function markedLocal(events: EventPublisher): EventPublisher {
  return { publish: (detailType, detail) => events.publish(detailType, { ...detail, local: true }) };
}

/** Synchronous Lambda Invoke, failing as Step Functions does: with the function's errorType as name. */
export async function invokeLambda(functionName: string, payload: unknown): Promise<unknown> {
  const result = await lambdaClient().send(
    new InvokeCommand({
      FunctionName: functionName,
      Payload: new TextEncoder().encode(JSON.stringify(payload)),
    }),
  );
  const text = result.Payload ? new TextDecoder().decode(result.Payload) : 'null';
  const body = JSON.parse(text || 'null') as { errorType?: string; errorMessage?: string } | null;
  if (result.FunctionError) {
    throw Object.assign(new Error(body?.errorMessage ?? result.FunctionError), {
      name: body?.errorType ?? 'Lambda.Unknown',
    });
  }
  return body;
}

export function lambdaContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
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

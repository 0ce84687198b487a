/**
 * `fledge run --hook <function>=<module>`: a hook function served from a local module instead of Lambda
 * Invoke, so hooks can be tried against an emulator with no Docker (moto runs Invoke in a container) and
 * without deploying them. The module exports `handler(event, context)`, as the Lambda function would.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { functionNameOf } from '../../shared/core/function-names';
import { UsageError } from '../shared/exit';

/** Invokes a hook function by the name or ARN the input gives, and returns its result. */
export type Invoke = (functionName: string, payload: unknown) => Promise<unknown>;

/** Parses `--hook name=path` values into a map from function name to the module's absolute path. */
export function parseHookOptions(values: readonly string[]): Map<string, string> {
  const hooks = new Map<string, string>();
  for (const value of values) {
    const match = /^([A-Za-z0-9_:.$-]+)=(.+)$/.exec(value);
    if (!match?.[1] || !match[2]) {
      throw new UsageError(
        `--hook '${value}' is not <function>=<module> (e.g. --hook fledge-hook-smoke=./hooks/smoke.mjs)`,
      );
    }
    const path = resolve(match[2]);
    if (!existsSync(path)) throw new UsageError(`--hook ${match[1]}: no module at ${path}`);
    hooks.set(match[1], path);
  }
  return hooks;
}

/** Whether `--hook` serves this function (by the name or ARN the input gives). */
export function servesHook(hooks: ReadonlyMap<string, string>, reference: string): boolean {
  return hooks.has(reference) || hooks.has(functionNameOf(reference));
}

/**
 * Calls the module's handler for the hooks given, and `fallback` (Lambda Invoke) for any other function.
 * A hook named by ARN matches by its function name. What the handler throws fails the hook, named as
 * Lambda would name it (the error's name is the state machine's Error).
 */
export function localHookInvoker(hooks: ReadonlyMap<string, string>, fallback: Invoke): Invoke {
  return async (functionName, payload) => {
    const path = hooks.get(functionName) ?? hooks.get(functionNameOf(functionName));
    if (!path) return fallback(functionName, payload);
    const module = (await import(pathToFileURL(path).href)) as { handler?: unknown; default?: unknown };
    const handler = module.handler ?? (module.default as { handler?: unknown } | undefined)?.handler;
    if (typeof handler !== 'function') {
      throw Object.assign(new Error(`${path} exports no handler(event, context) function`), {
        name: 'Runtime.HandlerNotFound',
      });
    }
    const result = await handler(structuredClone(payload), hookContext(functionNameOf(functionName)));
    // Lambda returns the handler's result as JSON: what cannot be serialized does not reach the state machine.
    return result === undefined ? null : JSON.parse(JSON.stringify(result));
  };
}

/** What Lambda passes a handler as its context, for a hook that may run 900 s (Lambda's limit). */
function hookContext(name: string): Context {
  const deadline = Date.now() + 900_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    memoryLimitInMB: '128',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

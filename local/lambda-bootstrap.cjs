/**
 * One invocation of a deployed Lambda handler, as AWS's Node.js runtime makes it: load the handler
 * file the way the runtime does (`.js` as CommonJS unless a package.json says module, `.mjs` with
 * import(), `.cjs` with require()), which is INIT, then call the exported function with the event and
 * a context, and report what the runtime would: the result, or `errorType` (the error's name),
 * `errorMessage` and `trace`. Spawned by local/lambda-runtime.ts with the function's code directory,
 * handler and event; the result goes to file descriptor 3, so the function's own logs keep stdout.
 *
 * FLEDGE_TEST_NOW (epoch ms), if set, is read and removed before the handler loads: the process clock
 * starts there and runs on in real time, so a rollout on the tests' virtual clock sees its own time.
 */
'use strict';

const { existsSync, readFileSync, writeSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { pathToFileURL } = require('node:url');
const { randomUUID } = require('node:crypto');

const startedAt = performance.now();
const now = Number(process.env.FLEDGE_TEST_NOW);
delete process.env.FLEDGE_TEST_NOW;
if (Number.isFinite(now)) {
  const RealDate = Date;
  const offset = now - RealDate.now();
  class ShiftedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + offset);
      else super(...args);
    }
    static now() {
      return RealDate.now() + offset;
    }
  }
  globalThis.Date = ShiftedDate;
}

const [root, handlerSpec, invokedArn] = process.argv.slice(2);

function report(outcome) {
  writeSync(3, JSON.stringify({ ...outcome, node: process.version }));
}

function typeModule(file) {
  for (let dir = dirname(file); dir.startsWith(root); dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) return JSON.parse(readFileSync(pkg, 'utf8')).type === 'module';
    if (dir === root) break;
  }
  return false;
}

async function load() {
  const dot = handlerSpec.lastIndexOf('.');
  const base = join(root, handlerSpec.slice(0, dot));
  const name = handlerSpec.slice(dot + 1);
  let module;
  if (existsSync(`${base}.js`)) {
    module = typeModule(`${base}.js`)
      ? await import(pathToFileURL(`${base}.js`).href)
      : require(`${base}.js`);
  } else if (existsSync(`${base}.mjs`)) module = await import(pathToFileURL(`${base}.mjs`).href);
  else if (existsSync(`${base}.cjs`)) module = require(`${base}.cjs`);
  else
    throw Object.assign(new Error(`Cannot find module '${handlerSpec.slice(0, dot)}'`), {
      name: 'Runtime.ImportModuleError',
    });
  const handler = module[name];
  if (typeof handler !== 'function') {
    throw Object.assign(new Error(`${handlerSpec} is undefined or not exported`), {
      name: 'Runtime.HandlerNotFound',
    });
  }
  return handler;
}

function errorOf(error) {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

async function main() {
  const event = JSON.parse(readFileSync(0, 'utf8'));
  let handler;
  try {
    handler = await load();
  } catch (error) {
    report({ ok: false, initMs: performance.now() - startedAt, ...errorOf(error) });
    return;
  }
  const initMs = performance.now() - startedAt;
  const timeoutMs = Number(process.env.AWS_LAMBDA_FUNCTION_TIMEOUT ?? '3') * 1000;
  const deadline = Date.now() + timeoutMs;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: invokedArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: randomUUID(),
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  try {
    const result = await handler(event, context);
    report({ ok: true, initMs, result: result === undefined ? null : result });
  } catch (error) {
    report({ ok: false, initMs, ...errorOf(error) });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);

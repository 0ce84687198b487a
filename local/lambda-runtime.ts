/**
 * Runs a deployed Lambda function's code as Lambda would: the Node version of its runtime, its handler,
 * its environment variables, the variables Lambda itself sets, and its role's credentials. One fresh
 * process per invocation (a cold start each time), through local/lambda-bootstrap.cjs. Used by the
 * deploy tests to run the bundles `serverless package` builds, against moto.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { node24, runtimeNodeMajor } from './node24';

const BOOTSTRAP = fileURLToPath(new URL('./lambda-bootstrap.cjs', import.meta.url));

/** What the Lambda API says about a function, and where its code was unzipped. */
export interface DeployedFunction {
  name: string;
  arn: string;
  runtime: string;
  handler: string;
  timeoutSeconds: number;
  memorySize: number;
  environment: Record<string, string>;
  roleArn: string;
  /** The directory the deployed zip was extracted to: Lambda's /var/task. */
  codeDir: string;
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

export interface InvokeOptions {
  region: string;
  /** The function role's credentials, as Lambda passes them. */
  credentials: Credentials;
  /** Where the SDK sends requests (moto); the one variable Lambda would not set. */
  endpoint: string;
  /** The time the function's clock starts at (a virtual clock's now). */
  now?: Date;
  /** The ARN the caller invoked (a Task's Resource). */
  invokedArn?: string;
}

export interface Invocation {
  result: unknown;
  /** Process start to handler loaded: Lambda's INIT. */
  initMs: number;
  /** What the function wrote to stdout and stderr (its logs). */
  logs: string;
  /** The Node version that ran it (`process.version`). */
  node: string;
}

/** A function error, named as Lambda names it (the error's name), with Step Functions' Cause as message. */
export class LambdaFunctionError extends Error {
  constructor(
    readonly errorType: string,
    readonly errorMessage: string,
    readonly logs: string,
    trace: string[] = [],
  ) {
    super(JSON.stringify({ errorType, errorMessage, trace }));
    this.name = errorType;
  }
}

/** The Node binary for a runtime; only nodejs24.x is installed here (scripts/node24.sh). */
export function nodeFor(runtime: string): string {
  const major = runtimeNodeMajor(runtime);
  if (major !== 24) throw new Error(`no Node ${major} here for runtime ${runtime}; only nodejs24.x`);
  return node24();
}

/** The environment Lambda gives the function's process. */
export function lambdaEnvironment(fn: DeployedFunction, options: InvokeOptions): Record<string, string> {
  return {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    LAMBDA_TASK_ROOT: fn.codeDir,
    _HANDLER: fn.handler,
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
    AWS_REGION: options.region,
    AWS_DEFAULT_REGION: options.region,
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
    AWS_LAMBDA_FUNCTION_TIMEOUT: String(fn.timeoutSeconds),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'local',
    AWS_ACCESS_KEY_ID: options.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: options.credentials.secretAccessKey,
    AWS_SESSION_TOKEN: options.credentials.sessionToken,
    ...fn.environment,
    AWS_ENDPOINT_URL: options.endpoint,
  };
}

/** Invokes the function once in a fresh Node process; throws LambdaFunctionError on a function error. */
export function invokeFunction(
  fn: DeployedFunction,
  event: unknown,
  options: InvokeOptions,
): Promise<Invocation> {
  const node = nodeFor(fn.runtime);
  return new Promise((resolve, reject) => {
    const child = spawn(node, [BOOTSTRAP, fn.codeDir, fn.handler, options.invokedArn ?? fn.arn], {
      cwd: fn.codeDir,
      env: {
        ...lambdaEnvironment(fn, options),
        ...(options.now ? { FLEDGE_TEST_NOW: String(options.now.getTime()) } : {}),
      },
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    let logs = '';
    let outcome = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      logs += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      logs += chunk.toString();
    });
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => {
      outcome += chunk.toString();
    });
    // Lambda stops a function at its timeout; allow a second more for this process's own start.
    const timer = setTimeout(() => child.kill('SIGKILL'), fn.timeoutSeconds * 1000 + 1000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') {
        reject(
          new LambdaFunctionError(
            'Sandbox.Timedout',
            `Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`,
            logs,
          ),
        );
        return;
      }
      if (!outcome) {
        reject(new LambdaFunctionError('Runtime.ExitError', `process exited with ${code}: ${logs}`, logs));
        return;
      }
      const parsed = JSON.parse(outcome) as { node: string; initMs: number } & (
        | { ok: true; result: unknown }
        | { ok: false; errorType: string; errorMessage: string; trace: string[] }
      );
      if (parsed.ok) resolve({ result: parsed.result, initMs: parsed.initMs, logs, node: parsed.node });
      else reject(new LambdaFunctionError(parsed.errorType, parsed.errorMessage, logs, parsed.trace));
    });
    child.stdin?.end(JSON.stringify(event ?? null));
  });
}

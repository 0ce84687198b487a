/** Runs the real `fledge` CLI in a child process, as a user would, and reads its last JSON line. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'fledge-cli-'));

export interface CliResult {
  code: number;
  stdout: string;
  /** The last line of stdout, parsed (for --json runs). */
  report: Record<string, unknown>;
}

/** `fledge <command> --input <file with input> …args`, with the test's environment plus `env`. */
export async function fledgeCli(
  command: string,
  input: unknown,
  args: string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  const file = join(dir, `input-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(input));
  const argv = ['bin/fledge.js', command, '--input', file, ...args];
  const { code, stdout } = await exec(process.execPath, argv, {
    env: { ...process.env, ...env },
    timeout: 60_000,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
  );
  return { code, stdout, report: lastJson(stdout) };
}

function lastJson(stdout: string): Record<string, unknown> {
  try {
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** `fledge run` on the virtual clock from `start`. */
export function fledgeRun(
  input: unknown,
  start: Date,
  extra: string[] = [],
  env: Record<string, string> = {},
) {
  return fledgeCli('run', input, ['--clock', 'virtual', '--start', start.toISOString(), ...extra], env);
}

/** A `fledge` child process a test can signal, with its output so far. */
export interface FledgeProcess {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Resolves once a line matching `pattern` has been printed. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

export function spawnFledge(
  command: string,
  input: unknown,
  args: string[],
  env: Record<string, string> = {},
): FledgeProcess {
  const file = join(dir, `input-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(input));
  const child = spawn(process.execPath, ['bin/fledge.js', command, '--input', file, ...args], {
    env: { ...process.env, ...env },
  });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => text,
    exited,
    async waitFor(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(text)) {
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(`no output matching ${pattern} (exit ${child.exitCode}):\n${text}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

/** The input file a spawned `fledge` was given (its last `--input`). */
export function inputFileOf(process: FledgeProcess): string {
  const args = process.child.spawnargs;
  return args[args.indexOf('--input') + 1] ?? '';
}

export interface CliRun extends CliResult {
  stderr: string;
}

/**
 * `fledge …args` exactly as given, with the test's environment changed by `env` (an undefined value
 * removes the variable) and stdin from a pipe, as in a pipeline.
 */
export async function fledgeArgs(
  args: string[],
  env: Record<string, string | undefined> = {},
  options: { timeoutMs?: number } = {},
): Promise<CliRun> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[key];
    else childEnv[key] = value;
  }
  const { code, stdout, stderr } = await exec(process.execPath, ['bin/fledge.js', ...args], {
    env: childEnv,
    timeout: options.timeoutMs ?? 60_000,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );
  return { code, stdout, stderr, report: lastJson(stdout) };
}

/** Writes `input` as a JSON file for `--input`, and returns its path. */
export function inputFile(input: unknown): string {
  const file = join(dir, `input-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(input));
  return file;
}

/**
 * `fledge …args` on a pseudo-terminal, as a person at a terminal runs it, answering `answer` when
 * `prompt` appears (test/support/terminal.py; python3 is there, since moto needs it). Output is stdout and
 * stderr together, as a terminal shows them.
 */
export async function fledgeOnTerminal(
  args: string[],
  prompt: string,
  answer: string,
  env: Record<string, string | undefined> = {},
): Promise<{ code: number; output: string }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[key];
    else childEnv[key] = value;
  }
  const helper = new URL('./terminal.py', import.meta.url).pathname;
  return exec('python3', [helper, answer, prompt, '--', process.execPath, 'bin/fledge.js', ...args], {
    env: childEnv,
    timeout: 60_000,
  }).then(
    (r) => ({ code: 0, output: r.stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, output: e.stdout }),
  );
}

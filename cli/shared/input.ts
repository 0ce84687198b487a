/** The rollout input a command is given: a JSON file, or `-` for stdin. */
import { readFileSync } from 'node:fs';
import { describeRawTarget } from '../../shared/targets/kinds';
import { UsageError } from './exit';

/** The parsed input; a file that cannot be read or parsed is a usage error (exit 2). */
export function readInput(path: string): unknown {
  return readJsonFile(path, 'input');
}

/**
 * A JSON file a flag names (`-`: stdin), parsed; one that cannot be read or parsed is a usage error
 * (exit 2) that says which file and why, `what` naming what the file was meant to hold.
 */
export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = path === '-' ? readFileSync(0, 'utf8') : readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new UsageError(`cannot read the ${what} ${path}: ${why}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`the ${what} ${path} is not JSON: ${(error as Error).message}`);
  }
}

/**
 * How a person names what the input would change, before it is validated: the target, or the event
 * that names one (a CloudTrail publish event or a deploy event).
 */
export function describeInputTarget(input: unknown): string {
  const raw = (input ?? {}) as {
    target?: Record<string, unknown>;
    targets?: unknown;
    release?: unknown;
    'detail-type'?: unknown;
    detail?: unknown;
  };
  if (Array.isArray(raw.targets)) return describeRawRelease(raw.targets, raw.release);
  const target = raw.target ?? (raw.detail as { target?: Record<string, unknown> } | undefined)?.target;
  const described = target ? describeRawTarget(target) : undefined;
  if (described) return described;
  if (typeof raw['detail-type'] === 'string') return `the target of the '${raw['detail-type']}' event`;
  return 'the target in the input';
}

/** A release's input before validation: its name, and each target a person can recognise. */
function describeRawRelease(targets: unknown[], name: unknown): string {
  const named = targets.map((entry) => {
    const raw = (entry ?? {}) as Record<string, unknown>;
    const target = (raw.target ?? raw) as Record<string, unknown>;
    return describeRawTarget(target) ?? 'a target of an unknown type';
  });
  return `${typeof name === 'string' ? `the release ${name}` : 'a release'} of ${targets.length} targets (${named.join(', ')})`;
}

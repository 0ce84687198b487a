/**
 * Options several commands share, spelled and explained the same way everywhere. A command module adds
 * the ones it takes: `withInput(command)`, `withAws(command)`, …
 */
import { type Command, InvalidArgumentError } from 'commander';

export interface JsonOptions {
  json?: boolean;
  verbose?: boolean;
}

export interface AwsOptions {
  region?: string;
}

export interface ChangeOptions {
  yes?: boolean;
}

/** `-i, --input <file>` (required). */
export function withInput(command: Command, what = 'rollout input JSON (see docs/INPUT.md)'): Command {
  return command.requiredOption('-i, --input <file>', `${what}, or - for stdin`);
}

/** `--json` and `--verbose`. */
export function withOutput(command: Command): Command {
  return command
    .option('--json', 'print the result as one JSON object on the last line')
    .option('--verbose', 'print the functions’ structured logs, and the stack trace of an unexpected error');
}

/** `--region`. */
export function withAws(command: Command): Command {
  return command.option('--region <region>', 'the AWS region (default: AWS_REGION, or your AWS_PROFILE’s)');
}

/** `-y, --yes`, for commands that change traffic. */
export function withConfirmation(command: Command): Command {
  return command.option(
    '-y, --yes',
    'change traffic in a real AWS account without asking (needed when stdin is not a terminal)',
  );
}

/** Parses an ISO 8601 time for commander; a bad one is a usage error. */
export function parseDate(value: string): Date {
  const date = /^\d{4}-\d{2}-\d{2}/.test(value) ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime()))
    throw new InvalidArgumentError(`'${value}' is not an ISO 8601 time (e.g. 2026-11-02T10:00:00Z)`);
  return date;
}

/**
 * The longest interval a command waits between two looks. Node's timers take at most 2^31 - 1 ms (24.8
 * days) and fire after 1 ms for anything longer, so a huge interval would poll as fast as it can.
 */
export const MAX_INTERVAL_SECONDS = 3600;

/** Parses a positive number of seconds for commander; anything else is a usage error naming the option. */
export function parseSeconds(value: string): number {
  const seconds = /^\s*\d*\.?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!(seconds > 0 && seconds <= MAX_INTERVAL_SECONDS))
    throw new InvalidArgumentError(
      `'${value}' is not a positive number of seconds up to ${MAX_INTERVAL_SECONDS} (e.g. 10)`,
    );
  return seconds;
}

export interface DeploymentFlags {
  stage?: string;
  table?: string;
  stateMachine?: string;
}

/** `--stage`, `--table`, `--state-machine`: where a deployed fledge keeps its records and runs. */
export function withDeployment(command: Command): Command {
  return command
    .option('--stage <stage>', 'the deployed stack fledge-<stage>: its rollout table and state machine')
    .option('--table <name>', 'the rollout table (default: FLEDGE_TABLE, or the stack of --stage)')
    .option(
      '--state-machine <arn>',
      'the fledge state machine (default: FLEDGE_STATE_MACHINE, or the stack of --stage)',
    );
}

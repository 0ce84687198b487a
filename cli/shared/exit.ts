/**
 * How every command ends: exit 0 when it did what was asked, 1 when it ran and failed, 2 when it refused
 * (a usage error, an invalid input, a missing setting, no confirmation): nothing was changed. With
 * `--json` the last line of stdout is one JSON object, also for a refusal or a failure; without it, one
 * line on stderr says what was wrong and what to do. Never a stack trace unless `--verbose`.
 */

export const EXIT = { ok: 0, failed: 1, refused: 2 } as const;

/**
 * The command was called wrongly (an option, an argument, the input file): exit 2, and the message is
 * followed by how to call it.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** fledge refuses to go ahead (a missing region, no confirmation): exit 2, the message says what to do. */
export class RefusedError extends Error {
  override readonly name = 'RefusedError';
}

/** The result line of a command that refused. */
export interface Rejection {
  outcome: 'rejected';
  reason: string;
}

export interface Output {
  json: boolean;
  verbose: boolean;
  /** How to call the command, for usage errors (`fledge run [options]`). */
  usage: string;
  /** Where to read more (`fledge run --help lists the options`). */
  help: string;
}

/**
 * Prints a command's refusal or failure and sets the exit code. Any error a command throws ends here
 * (cli/fledge.ts), so a command only throws.
 */
export function reportError(error: unknown, out: Output): void {
  const refusal = asRefusal(error);
  if (refusal) {
    if (out.json) console.log(JSON.stringify({ outcome: 'rejected', reason: refusal.reason } as Rejection));
    else {
      console.error(`fledge: ${refusal.reason}`);
      if (refusal.usage) console.error(`usage: ${out.usage} (${out.help})`);
    }
    process.exitCode = EXIT.refused;
    return;
  }
  const failure = error instanceof Error ? error : new Error(String(error));
  const named = `${failure.name === 'Error' ? '' : `${failure.name}: `}${failure.message}`;
  if (out.verbose && failure.stack) console.error(failure.stack);
  else if (!out.json) console.error(`fledge: ${named} (--verbose shows where)`);
  if (out.json)
    console.log(JSON.stringify({ outcome: 'failed', reason: failure.message, error: failure.name }));
  process.exitCode = EXIT.failed;
}

/** A refusal (exit 2) and whether the usage hint goes with it; undefined for a failure (exit 1). */
function asRefusal(error: unknown): { reason: string; usage: boolean } | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error instanceof UsageError) return { reason: error.message, usage: true };
  if (error instanceof RefusedError) return { reason: error.message, usage: false };
  // The domain's refusals, by name as the state machine routes them (shared/core/errors.ts).
  if (['InvalidInputError', 'RolloutInProgressError', 'RequestRefusedError'].includes(error.name)) {
    return { reason: error.message, usage: false };
  }
  const setup = awsSetupProblem(error);
  return setup ? { reason: setup, usage: false } : undefined;
}

export const REGION_HINT =
  'no AWS region: set AWS_REGION (e.g. export AWS_REGION=eu-west-1), pass --region, or use an AWS_PROFILE whose config names a region';
export const CREDENTIALS_HINT =
  'no AWS credentials: set AWS_PROFILE to a profile in ~/.aws/config (after `aws sso login` if it uses SSO), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; against a local emulator (AWS_ENDPOINT_URL) any values will do';

/**
 * The SDK's two set-up errors, in words a person can act on. The SDK throws a plain Error for the
 * region, so its message is the only thing to tell it by; cli/shared/aws-setup.ts checks both before a command
 * calls AWS, so this is the fallback for a path that did not.
 */
export function awsSetupProblem(error: Error): string | undefined {
  if (error.name === 'CredentialsProviderError') return `${CREDENTIALS_HINT} (${error.message})`;
  if (error.message === 'Region is missing') return REGION_HINT;
  return undefined;
}

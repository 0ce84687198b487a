/**
 * The question every command asks before it changes traffic in a real account: which account, which
 * region, which target. Against an emulator on this machine it asks nothing. `--yes` answers it in
 * advance; with no terminal on stdin (a pipeline, `--input -`) there is no one to ask, so fledge refuses
 * without `--yes`.
 */
import { createInterface } from 'node:readline/promises';
import { type Account, type AwsSetup, callerAccount } from './aws-setup';
import { RefusedError } from './exit';

export interface TrafficChange {
  /** What the command is about to do, as a verb phrase: "run a rollout of alias checkout:live (version 7)". */
  action: string;
  /** `--yes`: go ahead without asking. */
  yes: boolean;
  /** Ask against an emulator too: the risk is to a process on this machine, which no emulator lessens. */
  always?: boolean;
}

/** Where the prompt reads and writes; tests pass their own. */
export interface Terminal {
  interactive: boolean;
  print(line: string): void;
  ask(question: string): Promise<string>;
}

export const processTerminal = (): Terminal => ({
  interactive: Boolean(process.stdin.isTTY),
  print: (line) => console.error(line),
  async ask(question) {
    const prompt = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return await prompt.question(question);
    } finally {
      prompt.close();
    }
  },
});

/**
 * Returns when the change may go ahead; throws RefusedError (exit 2, nothing changed) when it may not.
 * Prints the account, region and target first, so even a `--yes` run's log says where it acted.
 */
export async function confirmTrafficChange(
  change: TrafficChange,
  setup: AwsSetup,
  terminal: Terminal = processTerminal(),
  account: () => Promise<Account> = callerAccount,
): Promise<void> {
  if (setup.endpoint.emulator && !change.always) return;
  let caller: Account;
  try {
    caller = await account();
  } catch (error) {
    throw new RefusedError(
      `could not tell which AWS account the credentials act in (sts:GetCallerIdentity: ${(error as Error).message}); refresh them (e.g. aws sso login) and try again. Nothing was changed`,
    );
  }
  terminal.print(
    `fledge: about to ${change.action} in AWS account ${caller.account} (${caller.arn}), region ${setup.region}${setup.endpoint.url ? `, through ${setup.endpoint.url}` : ''}.`,
  );
  if (change.yes) return;
  if (!terminal.interactive) {
    throw new RefusedError(
      `this changes live traffic in account ${caller.account} (${setup.region}) and stdin is not a terminal to confirm it: pass --yes to go ahead. Nothing was changed`,
    );
  }
  const answer = (await terminal.ask('Go ahead? [y/N] ')).trim().toLowerCase();
  if (answer !== 'y' && answer !== 'yes') throw new RefusedError('not confirmed. Nothing was changed');
}

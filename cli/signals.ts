/**
 * Ctrl-C during `fledge run`: the first SIGINT or SIGTERM stops the rollout and restores the baseline
 * before exiting; a second one exits at once, leaving traffic as it is, and says how to restore it.
 * During `fledge start --wait` it stops following a deployed rollout, which goes on (trapFollowing).
 */
import type { RolloutState } from '../shared/steps/rollout';
import type { EventLog } from './local-runner';

export interface Interruptions {
  /** Aborted on the first signal, with the signal's name as its reason. */
  signal: AbortSignal;
  /** Feeds the progress of the run, so a second signal can say what traffic was last set. */
  observe(event: EventLog): void;
  release(): void;
}

export function trapSignals(
  recoverCommand: string,
  print: (line: string) => void = console.error,
): Interruptions {
  const controller = new AbortController();
  let last: RolloutState | undefined;
  let count = 0;
  const onSignal = (name: NodeJS.Signals) => {
    count += 1;
    if (count === 1) {
      print(
        `\nfledge: ${name}: stopping the rollout and restoring the baseline (again to exit at once, leaving traffic as it is)`,
      );
      controller.abort(`interrupted (${name})`);
      return;
    }
    const where = last
      ? `${last.label}: traffic was last set to ${last.traffic.weight}% on the canary`
      : 'no traffic had moved yet';
    print(`fledge: ${name} again: exiting now. ${where}. To restore the baseline: ${recoverCommand}`);
    process.exit(1);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    observe(event) {
      if (event.type !== 'StateExited') return;
      const rollout = (event.state.output as { rollout?: RolloutState } | undefined)?.rollout;
      if (rollout?.traffic) last = rollout;
    },
    release() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** The exit code of a command a signal stopped (128 + SIGINT, as a shell reports it). */
export const INTERRUPTED_EXIT = 130;

/**
 * Ctrl-C (or SIGTERM) while `fledge start --wait` follows a deployed execution: this process only
 * watches, so it stops following and leaves the rollout to run on in Step Functions, and says so, with
 * how to follow or stop it. Returns the function that releases the trap.
 */
export function trapFollowing(
  executionArn: string,
  deployment: string,
  json: boolean,
  print: (line: string) => void = console.error,
): () => void {
  const onSignal = (name: NodeJS.Signals) => {
    const reason =
      `${name}: stopped following; the rollout goes on in ${executionArn}, nothing was stopped or rolled back. ` +
      `\`fledge status ${executionArn}${deployment} --watch\` follows it, \`fledge abort ${executionArn}${deployment} --reason "…"\` rolls it back`;
    if (json) console.log(JSON.stringify({ outcome: 'detached', reason, executionArn }));
    else print(`\nfledge: ${reason}`);
    process.exit(INTERRUPTED_EXIT);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

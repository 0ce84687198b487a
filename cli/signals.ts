/**
 * Ctrl-C during `fledge run`: the first SIGINT or SIGTERM stops the rollout and restores the baseline
 * before exiting; a second one exits at once, leaving traffic as it is, and says how to restore it.
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

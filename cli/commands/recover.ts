/** `fledge recover`: restores the baseline of a target left half-shifted. */
import type { Command } from 'commander';
import {
  type AwsOptions,
  type ChangeOptions,
  type JsonOptions,
  withAws,
  withConfirmation,
  withInput,
  withOutput,
} from '../shared/options';

interface RecoverOptions extends JsonOptions, AwsOptions, ChangeOptions {
  input: string;
  force?: boolean;
}

export function define(command: Command): void {
  withInput(command, 'the rollout input (only its target is read)')
    .usage('--input <file> [options]')
    .description(
      'Restore the baseline of a target left half-shifted (a stopped or killed rollout), from its rollout record, or from the live split when it is clear-cut.',
    );
  command.option(
    '--force',
    'restore the baseline even while a local run still holds the target (its lease is live); asks first, naming the risk',
  );
  withOutput(withConfirmation(withAws(command))).action(recover);
}

async function recover(options: RecoverOptions): Promise<void> {
  const [{ readInput }, { checkAwsSetup }, { confirmTrafficChange }] = await Promise.all([
    import('../shared/input'),
    import('../shared/aws-setup'),
    import('../shared/confirm'),
  ]);
  const input = readInput(options.input);
  const setup = await checkAwsSetup(options.region);
  const [{ planRecovery }, { defaultDeps }] = await Promise.all([
    import('../local/recover'),
    import('../shared/wiring'),
  ]);
  // Read first: a target with nothing to restore is said so without asking anyone to confirm.
  const plan = await planRecovery(input, defaultDeps(), { force: options.force === true });
  if ('change' in plan) {
    await confirmTrafficChange(
      { action: plan.change, yes: options.yes === true, always: plan.underLiveRun === true },
      setup,
    );
  }
  const report = 'report' in plan ? plan.report : await plan.apply();
  if (options.json) console.log(JSON.stringify(report));
  else console.log(`${report.outcome.toUpperCase()}: ${report.reason}`);
  process.exitCode =
    report.outcome === 'refused' ? 2 : ['failed', 'conflict'].includes(report.outcome) ? 1 : 0;
}

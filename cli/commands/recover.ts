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
} from '../options';

interface RecoverOptions extends JsonOptions, AwsOptions, ChangeOptions {
  input: string;
}

export function define(command: Command): void {
  withInput(command, 'the rollout input (only its target is read)')
    .usage('--input <file> [options]')
    .description(
      'Restore the baseline of a target left half-shifted (a stopped or killed rollout), from its rollout record, or from the live split when it is clear-cut.',
    );
  withOutput(withConfirmation(withAws(command))).action(recover);
}

async function recover(options: RecoverOptions): Promise<void> {
  const [{ readInput, describeInputTarget }, { checkAwsSetup }, { confirmTrafficChange }] = await Promise.all(
    [import('../input'), import('../aws-setup'), import('../confirm')],
  );
  const input = readInput(options.input);
  const setup = await checkAwsSetup(options.region);
  await confirmTrafficChange(
    {
      action: `restore the baseline of ${describeInputTarget(input)} if it is left split`,
      yes: options.yes === true,
    },
    setup,
  );
  const [{ recoverTarget }, { defaultDeps }] = await Promise.all([import('../recover'), import('../wiring')]);
  const report = await recoverTarget(input, defaultDeps());
  if (options.json) console.log(JSON.stringify(report));
  else console.log(`${report.outcome.toUpperCase()}: ${report.reason}`);
  process.exitCode =
    report.outcome === 'refused' ? 2 : ['failed', 'conflict'].includes(report.outcome) ? 1 : 0;
}

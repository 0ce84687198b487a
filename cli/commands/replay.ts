/** `fledge replay`: a rollout's decisions over past CloudWatch metrics. Changes no traffic, runs no hooks. */
import type { Command } from 'commander';
import {
  type AwsOptions,
  type JsonOptions,
  parseDate,
  withAws,
  withInput,
  withOutput,
} from '../shared/options';

interface ReplayOptions extends JsonOptions, AwsOptions {
  input: string;
  start: Date;
  baseline?: string;
}

export function define(command: Command): void {
  withInput(command, 'rollout input JSON, as for run')
    .usage('--input <file> --start <iso8601> [options]')
    .requiredOption('--start <iso8601>', 'when the rollout started (its first weight change)', parseDate)
    .option(
      '--baseline <version>',
      'the version that served beside the release in the window (default: from fledge’s rollout record of this release; without one, refused, naming the versions seen)',
    );
  withOutput(withAws(command)).action(replayCommand);
}

async function replayCommand(options: ReplayOptions): Promise<void> {
  const { readInput } = await import('../shared/input');
  const { UsageError } = await import('../shared/exit');
  const input = readInput(options.input);
  const target = (input as { target?: unknown } | null)?.target;
  if (!target || typeof target !== 'object') throw new UsageError(`the input ${options.input} has no target`);
  const { checkAwsSetup } = await import('../shared/aws-setup');
  await checkAwsSetup(options.region);
  const [{ replay }, { printProgress, exitCode }, { VirtualClock }] = await Promise.all([
    import('../local/replay'),
    import('../reports/progress'),
    import('../../shared/core/clock'),
  ]);
  const clock = new VirtualClock(options.start);
  const report = await replay({
    input: input as Parameters<typeof replay>[0]['input'],
    start: options.start,
    baseline: options.baseline,
    clock,
    // The next check's time is on the replayed timeline.
    onEvent: printProgress(options.json, { replay: true, now: () => clock.now() }),
  });
  if (options.json) {
    console.log(JSON.stringify(report));
  } else {
    const when = report.decidedAt ? ` at ${report.decidedAt}` : '';
    console.log(`would have ${report.outcome.toUpperCase()}${when}: ${report.reason}`);
  }
  // As `fledge run` would have exited: 0 would promote, 1 would roll back, 2 refused.
  process.exitCode = exitCode(report);
}

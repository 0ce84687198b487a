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
      'the version that served beside the release in the window (default: from fledge’s rollout record of this release; without one, refused, naming the versions seen); for a release of several targets, <target>=<version>, comma-separated (checkout:live=6,cart:live=11)',
    );
  withOutput(withAws(command)).action(replayCommand);
}

async function replayCommand(options: ReplayOptions): Promise<void> {
  const { readInput } = await import('../shared/input');
  const { UsageError } = await import('../shared/exit');
  const input = readInput(options.input);
  const { target, targets } = (input ?? {}) as { target?: unknown; targets?: unknown };
  if ((!target || typeof target !== 'object') && !Array.isArray(targets))
    throw new UsageError(`the input ${options.input} has no target (nor targets, for a release)`);
  const { checkAwsSetup } = await import('../shared/aws-setup');
  await checkAwsSetup(options.region);
  const [{ replay }, { printProgress, exitCode }, { VirtualClock }] = await Promise.all([
    import('../local/replay'),
    import('../reports/progress'),
    import('../../shared/core/clock'),
  ]);
  const clock = new VirtualClock(options.start);
  const report = await replay({
    input: input as Record<string, unknown>,
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
    // A release: each target's judgment at the last check, then the release's one verdict.
    if ('targets' in report.replayed)
      for (const t of report.replayed.targets)
        console.log(`  ${t.label}: ${t.verdict ?? 'not judged'}${t.reason ? `: ${t.reason}` : ''}`);
    console.log(`would have ${report.outcome.toUpperCase()}${when}: ${report.reason}`);
  }
  // As `fledge run` would have exited: 0 would promote, 1 would roll back, 2 refused.
  process.exitCode = exitCode(report);
}

/**
 * `fledge status [rollout]` and `fledge list`: where rollouts are (weight, step n of N, the last check
 * and what the next one needs, a gate or a pause, since when), read from the rollout records and
 * Step Functions. `--watch` refreshes until the rollout ends, riding out transient AWS errors
 * (cli/operator/watch.ts). Changes nothing.
 */
import type { Command } from 'commander';
import {
  type AwsOptions,
  type DeploymentFlags,
  type JsonOptions,
  parseSeconds,
  withAws,
  withDeployment,
  withOutput,
} from '../shared/options';

const DEFAULT_INTERVAL_SECONDS = 10;

interface StatusOptions extends JsonOptions, AwsOptions, DeploymentFlags {
  input?: string;
  watch?: boolean;
  interval?: number;
}

export function define(command: Command): void {
  if (command.name() === 'list') {
    withOutput(withAws(withDeployment(command))).action((options) => list(options as StatusOptions));
    return;
  }
  command
    .argument('[rollout]', 'an execution ARN, or <function>:<alias> for a Lambda target')
    .usage('[rollout | --input <file>] [options]')
    .option('-i, --input <file>', 'the rollout input, to name its target (Route 53 targets)')
    .option('--watch', 'refresh until the rollout ends (Ctrl-C stops watching, not the rollout)')
    .option(
      '--interval <seconds>',
      `with --watch: how often to refresh (default: ${DEFAULT_INTERVAL_SECONDS})`,
      parseSeconds,
    );
  withOutput(withAws(withDeployment(command))).action((rollout, options) =>
    status(rollout as string | undefined, options as StatusOptions),
  );
}

async function status(rollout: string | undefined, options: StatusOptions): Promise<void> {
  const [{ UsageError }, { checkAwsSetup }, { readInput }] = await Promise.all([
    import('../shared/exit'),
    import('../shared/aws-setup'),
    import('../shared/input'),
  ]);
  // It would be ignored: a one-off status is read once.
  if (options.interval !== undefined && !options.watch)
    throw new UsageError(
      '--interval only applies with --watch (how often it refreshes): add --watch, or drop --interval',
    );
  const operate = await import('../operator/operate');
  const ref = { rollout, ...(options.input ? { input: readInput(options.input) } : {}) };
  // What is wrong with the name comes before a missing region or table.
  operate.checkRolloutRef(ref);
  await checkAwsSetup(options.region);
  const [{ operatorContext }, { watchRollout, describeFailedRefresh }] = await Promise.all([
    import('../operator/context'),
    import('../operator/watch'),
  ]);
  const context = await operatorContext(options);
  const first = await operate.findRollout(ref, context.records, context.executions);
  if (!options.watch) {
    const shown = operate.statusOf(first);
    console.log(options.json ? JSON.stringify(shown) : operate.describeStatus(shown).join('\n'));
    return;
  }
  await watchRollout(first, context.records, context.executions, {
    intervalSeconds: options.interval ?? DEFAULT_INTERVAL_SECONDS,
    show: (seen) => {
      const shown = 'status' in seen ? seen.status : 'ended' in seen ? seen.ended : seen.failed;
      if (options.json) console.log(JSON.stringify(shown));
      else if ('status' in seen) console.log(operate.describeStatus(seen.status).join('\n'));
      else if ('ended' in seen) console.log(operate.describeSuperseded(seen.ended).join('\n'));
      else console.log(describeFailedRefresh(seen.failed));
    },
  });
}

async function list(options: StatusOptions): Promise<void> {
  const { checkAwsSetup } = await import('../shared/aws-setup');
  await checkAwsSetup(options.region);
  const [{ operatorContext }, operate] = await Promise.all([
    import('../operator/context'),
    import('../operator/operate'),
  ]);
  const context = await operatorContext(options);
  const records = await context.records.active();
  const shown = await Promise.all(
    records.map(async (record) =>
      operate.statusOf({
        record,
        requests: await context.records.requests(record.key),
        execution: await context.executions.describe(record.owner),
      }),
    ),
  );
  if (options.json) {
    console.log(JSON.stringify({ rollouts: shown }));
    return;
  }
  if (shown.length === 0) console.log('no rollout in progress');
  for (const s of shown) console.log(operate.describeStatus(s).join('\n'));
}

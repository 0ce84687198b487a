/**
 * `fledge status [rollout]` and `fledge list`: where rollouts are (weight, step n of N, the last check
 * and what the next one needs, a gate or a pause, since when), read from the rollout records and
 * Step Functions. `--watch` refreshes until the rollout ends. Changes nothing.
 */
import type { Command } from 'commander';
import type { Superseded } from '../operator/operate';
import {
  type AwsOptions,
  type DeploymentFlags,
  type JsonOptions,
  parseSeconds,
  withAws,
  withDeployment,
  withOutput,
} from '../options';

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
    .option('--interval <seconds>', 'with --watch: how often to refresh', parseSeconds, 10);
  withOutput(withAws(withDeployment(command))).action((rollout, options) =>
    status(rollout as string | undefined, options as StatusOptions),
  );
}

async function status(rollout: string | undefined, options: StatusOptions): Promise<void> {
  const [{ UsageError }, { checkAwsSetup }, { readInput }] = await Promise.all([
    import('../exit'),
    import('../aws-setup'),
    import('../input'),
  ]);
  if (!rollout && !options.input)
    throw new UsageError('name the rollout: an execution ARN, <function>:<alias>, or --input <file>');
  await checkAwsSetup(options.region);
  const [{ operatorContext }, operate, { isActive }] = await Promise.all([
    import('../operator/context'),
    import('../operator/operate'),
    import('../../shared/core/record'),
  ]);
  const context = await operatorContext(options);
  const ref = { rollout, ...(options.input ? { input: readInput(options.input) } : {}) };
  const seconds = options.interval ?? 10;
  const first = await operate.findRollout(ref, context.records, context.executions);
  for (let found = first; ; ) {
    const shown = operate.statusOf(found);
    if (options.json) console.log(JSON.stringify(shown));
    else console.log(operate.describeStatus(shown).join('\n'));
    if (!options.watch || !isActive(shown.status)) return;
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    // Follow the rollout first found, not whichever holds the target: a rollout that ends and is
    // followed by another between two refreshes has ended all the same.
    const again = await operate.refreshRollout(first.record, context.records, context.executions);
    if (!again) {
      const { owner, key, label } = first.record;
      const [now, execution] = await Promise.all([
        context.records.get(key),
        context.executions.describe(owner),
      ]);
      const ended: Superseded = {
        rollout: label,
        key,
        owner,
        status: 'ended',
        execution: execution.status,
        ...(now ? { next: { owner: now.owner, status: now.status } } : {}),
      };
      if (options.json) console.log(JSON.stringify(ended));
      else console.log(operate.describeSuperseded(ended).join('\n'));
      return;
    }
    found = again;
  }
}

async function list(options: StatusOptions): Promise<void> {
  const { checkAwsSetup } = await import('../aws-setup');
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

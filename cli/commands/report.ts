/**
 * `fledge report`: the HTML report of a deployed execution, of the last rollout of a target (found
 * through its rollout record), or of a saved execution history.
 */
import type { Command } from 'commander';
import {
  type AwsOptions,
  type DeploymentFlags,
  type JsonOptions,
  withAws,
  withDeployment,
  withOutput,
} from '../shared/options';

interface ReportOptions extends JsonOptions, AwsOptions, DeploymentFlags {
  execution?: string;
  history?: string;
  output?: string;
  input?: string;
}

export function define(command: Command): void {
  command
    .argument(
      '[rollout]',
      'a target as <function>:<alias> (its last rollout, from the rollout record), or an execution ARN',
    )
    .usage('[rollout | --input <file>] | --execution <arn> | --history <file> [options]')
    .option('-i, --input <file>', 'a rollout input, to name its target (Route 53 targets)')
    .option('--execution <arn>', 'a deployed execution of the fledge state machine (reads its history)')
    .option('--history <file>', 'an execution history saved with `aws stepfunctions get-execution-history`')
    .option('-o, --output <file>', 'where to write the report (default: fledge-report-<execution>.html)');
  withOutput(withAws(withDeployment(command))).action(
    async (rollout: string | undefined, options: ReportOptions) => {
      const { writeReport } = await import('../reports/report');
      const execution =
        options.execution ?? (rollout || options.input ? await lastExecution(rollout, options) : undefined);
      const path = await writeReport({ ...options, ...(execution ? { execution } : {}) });
      if (options.json) console.log(JSON.stringify({ outcome: 'written', path }));
      else console.log(`report written to ${path}`);
    },
  );
}

/** The execution that last held a target, from its rollout record. */
async function lastExecution(rollout: string | undefined, options: ReportOptions): Promise<string> {
  if (rollout?.startsWith('arn:')) return rollout;
  const [
    { checkAwsSetup },
    { readInput },
    { operatorContext },
    { findRollout, checkRolloutRef },
    { RefusedError },
    { isLocalRun },
  ] = await Promise.all([
    import('../shared/aws-setup'),
    import('../shared/input'),
    import('../operator/context'),
    import('../operator/operate'),
    import('../shared/exit'),
    import('../../shared/aws/executions'),
  ]);
  const ref = { rollout, ...(options.input ? { input: readInput(options.input) } : {}) };
  // What is wrong with the name comes before a missing region or table.
  checkRolloutRef(ref);
  await checkAwsSetup(options.region);
  const context = await operatorContext(options);
  const { record } = await findRollout(ref, context.records, context.executions);
  if (isLocalRun(record.owner)) {
    throw new RefusedError(
      `${record.label}: its last rollout was a local run (${record.owner}), whose history lived only in its process; \`fledge run --report <file>\` writes a local run's report as it goes`,
    );
  }
  return record.owner;
}

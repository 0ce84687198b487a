/** `fledge report`: the HTML report of a deployed execution, or of a saved execution history. */
import { writeFileSync } from 'node:fs';
import { SFNClient } from '@aws-sdk/client-sfn';
import { isLocalRun } from '../../shared/aws/executions';
import { RefusedError, UsageError } from '../shared/exit';
import { executionTimeline, historyFileTimeline, renderReport } from './html';

export interface ReportOptions {
  execution?: string;
  history?: string;
  output?: string;
}

/** Writes the report and returns its path; throws a message a person can act on. */
export async function writeReport(options: ReportOptions): Promise<string> {
  if (!options.execution && !options.history) {
    throw new UsageError(
      'give --execution <execution ARN>, or --history <file> saved from get-execution-history',
    );
  }
  const timeline = options.history
    ? historyFileTimeline(options.history, options.execution)
    : await deployedTimeline(options.execution ?? '');
  const output = options.output ?? `fledge-report-${fileName(timeline.executionId)}.html`;
  writeFileSync(output, await renderReport(timeline));
  return output;
}

/** A deployed execution's timeline; one Step Functions does not know is refused, naming it. */
async function deployedTimeline(executionArn: string) {
  const client = clientFor(executionArn);
  try {
    return await executionTimeline(executionArn, client);
  } catch (error) {
    if ((error as Error).name !== 'ExecutionDoesNotExist') throw error;
    const region = executionArn.split(':')[3];
    const why = isLocalRun(executionArn)
      ? "it is a local run's, whose history lived only in its process; `fledge run --report <file>` writes a local run's report as it goes"
      : "check the ARN; `fledge list` or `fledge status` names a rollout's execution";
    throw new RefusedError(
      `no execution ${executionArn} in Step Functions (region ${region}, the ARN's): ${why}. Nothing was written`,
      { cause: error },
    );
  } finally {
    client.destroy();
  }
}

/** Step Functions in the execution's own region, whatever the default region is. */
function clientFor(executionArn: string): SFNClient {
  const [arn, , service, region] = executionArn.split(':');
  if (arn !== 'arn' || service !== 'states' || !region) {
    throw new UsageError(
      `'${executionArn}' is not a Step Functions execution ARN (arn:aws:states:<region>:…:execution:…)`,
    );
  }
  return new SFNClient({ region, maxAttempts: 4 });
}

function fileName(id: string): string {
  return (id.split(/[:/]/).at(-1) ?? 'rollout').replace(/[^A-Za-z0-9._-]/g, '_');
}

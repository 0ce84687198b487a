/**
 * Where a deployed fledge lives: its rollout table and its state machine, from flags, the environment,
 * or the CloudFormation stack `fledge-<stage>` (serverless.yml's outputs).
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { InvalidInputError } from '../../shared/core/errors';

export interface DeploymentOptions {
  stage?: string | undefined;
  table?: string | undefined;
  stateMachine?: string | undefined;
}

export interface Deployment {
  table?: string | undefined;
  stateMachineArn?: string | undefined;
  /** Where the values came from, for messages. */
  from: string;
}

export const TABLE_OUTPUT = 'RolloutTableName';
export const STATE_MACHINE_OUTPUT = 'CanaryStateMachineArn';

export async function locate(options: DeploymentOptions): Promise<Deployment> {
  const table = options.table ?? process.env.FLEDGE_TABLE;
  const stateMachineArn = options.stateMachine ?? process.env.FLEDGE_STATE_MACHINE;
  if (!options.stage) return { table, stateMachineArn, from: 'flags and environment' };
  const stack = `fledge-${options.stage}`;
  const client = new CloudFormationClient({});
  try {
    const found = await client.send(new DescribeStacksCommand({ StackName: stack }));
    const outputs = new Map(
      (found.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']),
    );
    return {
      table: table ?? outputs.get(TABLE_OUTPUT),
      stateMachineArn: stateMachineArn ?? outputs.get(STATE_MACHINE_OUTPUT),
      from: `stack ${stack}`,
    };
  } catch (error) {
    if (/does not exist/.test((error as Error).message)) {
      throw new InvalidInputError(
        `--stage ${options.stage}: no CloudFormation stack ${stack} in this account and region; deploy fledge first, or name the table and state machine with --table and --state-machine`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    client.destroy();
  }
}

/** The table or a clear refusal that says how to name it. */
export function requireTable(deployment: Deployment): string {
  if (deployment.table) return deployment.table;
  throw new InvalidInputError(
    'no rollout table: pass --stage <stage> (the deployed stack), --table <name>, or set FLEDGE_TABLE',
  );
}

export function requireStateMachine(deployment: Deployment): string {
  const arn = deployment.stateMachineArn;
  // A name where an ARN belongs is refused here, before anyone is asked to confirm a start that would fail.
  if (arn && !/^arn:[^:]+:states:[^:]+:[^:]+:stateMachine:[^:]+$/.test(arn)) {
    throw new InvalidInputError(
      `'${arn}' (from ${deployment.from}) is not a state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>); --stage <stage> finds it from the deployed stack`,
    );
  }
  if (arn) return arn;
  throw new InvalidInputError(
    'no state machine: pass --stage <stage> (the deployed stack), --state-machine <arn>, or set FLEDGE_STATE_MACHINE',
  );
}

/** The Step Functions console page of an execution. */
export function consoleLink(executionArn: string): string {
  const region = executionArn.split(':')[3] ?? 'us-east-1';
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${encodeURIComponent(executionArn)}`;
}

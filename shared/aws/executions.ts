import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { awsCall } from '../core/errors';
import type { ExecutionState, Executions } from '../core/record';
import { sfnClient } from './clients';

const EXECUTION_ARN = /^arn:aws[\w-]*:states:[\w-]+:\d{12}:execution:/;

/**
 * Step Functions executions, by ARN. A local run's id (account 000000000000, or not an execution ARN)
 * cannot be asked and is UNKNOWN; so is an ARN Step Functions does not know (a local run against moto).
 */
export const stepFunctionsExecutions: Executions = {
  async describe(executionArn: string): Promise<ExecutionState> {
    if (!EXECUTION_ARN.test(executionArn) || isLocalRun(executionArn)) return { status: 'UNKNOWN' };
    try {
      const execution = await awsCall('states:DescribeExecution', () =>
        sfnClient().send(new DescribeExecutionCommand({ executionArn })),
      );
      return {
        status: (execution.status ?? 'UNKNOWN') as ExecutionState['status'],
        error: execution.error,
        cause: execution.cause,
        output: execution.output,
        stopDate: execution.stopDate?.toISOString(),
      };
    } catch (error) {
      if ((error as Error).name === 'ExecutionDoesNotExist') return { status: 'UNKNOWN' };
      throw error;
    }
  },
};

/**
 * True for the whole ARN of a Step Functions execution, `arn:<partition>:states:<region>:<account>:
 * execution:<state machine>:<name>` (names cannot hold a colon): not a state machine's, not a Lambda's.
 */
export function isExecutionArn(text: string): boolean {
  return /^arn:aws[\w-]*:states:[\w-]+:\d{12}:execution:[^:\s]+:[^:\s]+$/.test(text);
}

/** The ids `fledge run` gives its in-process executions. */
export function isLocalRun(owner: string): boolean {
  return owner.includes(':execution:fledge-canary:local-');
}

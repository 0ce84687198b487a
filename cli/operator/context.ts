/** The rollout table and executions an operator command acts through, found from its flags. */

import { stepFunctionsExecutions } from '../../shared/aws/executions';
import { DynamoDbRolloutRecords } from '../../shared/aws/records';
import type { RolloutRecords } from '../../shared/core/ports';
import type { Executions } from '../../shared/core/record';
import type { DeploymentFlags } from '../options';
import { type Deployment, locate, requireTable } from './deployment';

export interface OperatorContext {
  deployment: Deployment;
  records: RolloutRecords;
  executions: Executions;
}

export async function operatorContext(flags: DeploymentFlags): Promise<OperatorContext> {
  const deployment = await locate(flags);
  return {
    deployment,
    records: new DynamoDbRolloutRecords(requireTable(deployment)),
    executions: stepFunctionsExecutions,
  };
}

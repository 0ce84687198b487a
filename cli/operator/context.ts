/** The rollout table and executions an operator command acts through, found from its flags. */

import { stepFunctionsExecutions } from '../../shared/aws/executions';
import { DynamoDbRolloutRecords } from '../../shared/aws/records';
import { InvalidInputError } from '../../shared/core/errors';
import type { RolloutRecords } from '../../shared/core/ports';
import type { Executions } from '../../shared/core/record';
import type { DeploymentFlags } from '../shared/options';
import { type Deployment, locate, requireTable } from './deployment';

export interface OperatorContext {
  deployment: Deployment;
  records: RolloutRecords;
  executions: Executions;
}

export async function operatorContext(flags: DeploymentFlags): Promise<OperatorContext> {
  const deployment = await locate(flags);
  const table = requireTable(deployment);
  return {
    deployment,
    records: namingTheTable(new DynamoDbRolloutRecords(table), table, deployment.from),
    executions: stepFunctionsExecutions,
  };
}

/**
 * The records, with DynamoDB's bare "Requested resource not found" for a table that is not there (a
 * typo in --table, another region) turned into a refusal that names the table, where it came from, and
 * what to check (`check`: the flags and variables of the command that named it).
 */
export function namingTheTable(
  records: RolloutRecords,
  table: string,
  from: string,
  check = '--table, --stage or FLEDGE_TABLE, and --region',
): RolloutRecords {
  return new Proxy(records, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } catch (error) {
          if ((error as Error).name !== 'ResourceNotFoundException') throw error;
          throw new InvalidInputError(
            `no rollout table '${table}' (from ${from}) in this account and region: check ${check}. Nothing was changed`,
            { cause: error },
          );
        }
      };
    },
  });
}

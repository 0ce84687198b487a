import { CloudWatchMetricsSource } from '../../shared/aws/cloudwatch';
import { EventBridgePublisher } from '../../shared/aws/events';
import { stepFunctionsExecutions } from '../../shared/aws/executions';
import { readFunctionTags } from '../../shared/aws/function-tags';
import { hookProblem } from '../../shared/aws/hook-functions';
import { recordsFromEnv } from '../../shared/aws/records';
import { systemClock } from '../../shared/core/clock';
import { lazy } from '../../shared/core/lazy';
import type { Deps } from '../../shared/steps/deps';
import { createRouter } from '../../shared/targets/routers';
import { namingTheTable } from '../operator/context';
import { MemoryRolloutRecords } from './memory-records';

const TABLE_CHECK =
  "FLEDGE_TABLE (a deployed stack's RolloutTableName, or a table you created; unset, a local run keeps its record in its own process) and the region";

/**
 * Reads the rollout table once, so that a FLEDGE_TABLE naming no table is refused (exit 2, naming it)
 * before a local run asks for confirmation or changes anything, not found by Plan as a bare
 * ResourceNotFoundException.
 */
export async function checkRolloutTable(deps: Deps): Promise<void> {
  if (process.env.FLEDGE_TABLE) await deps.records.get('fledge:table-check');
}

/**
 * The whole production wiring, for the CLI and the demo, which run every step in one process: system
 * clock, AWS-backed routers, CloudWatch, EventBridge, and the rollout table named by FLEDGE_TABLE
 * (without one, records live in this process only). The Lambda functions wire only what their step uses.
 */
export const defaultDeps = lazy((): Deps => wireDeps());

/** A fresh wiring (tests that point the SDK somewhere else after the first one was built). */
export function wireDeps(): Deps {
  const table = process.env.FLEDGE_TABLE;
  const inTable = recordsFromEnv(stepFunctionsExecutions);
  return {
    clock: systemClock,
    router: createRouter,
    metrics: new CloudWatchMetricsSource(),
    records:
      inTable && table
        ? namingTheTable(inTable, table, 'FLEDGE_TABLE', TABLE_CHECK)
        : new MemoryRolloutRecords(stepFunctionsExecutions),
    events: new EventBridgePublisher(),
    tags: readFunctionTags,
    hooks: hookProblem,
    executions: stepFunctionsExecutions,
  };
}

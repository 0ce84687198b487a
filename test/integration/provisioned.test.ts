/**
 * Provisioned concurrency for the canary version, on moto with Lambda's provisioned concurrency emulated
 * (local/moto_server.py: IN_PROGRESS for a second, then READY; FAILED for a version whose environment says
 * so): the real ASL, the real handlers and routers, records in moto's DynamoDB.
 */
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { runLocal } from '../../cli/local/runner';
import { toReport } from '../../cli/reports/progress';
import { wireDeps } from '../../cli/shared/wiring';
import { createRolloutTable } from '../../local/fixtures';
import { useEndpoint } from '../../local/moto';
import { stepFunctionsExecutions } from '../../shared/aws/executions';
import { DynamoDbRolloutRecords } from '../../shared/aws/records';
import { VirtualClock } from '../../shared/core/clock';
import { publishLambdaMinutes, readAlias } from '../support/aws';
import { provisionedOf, aliasWithProvisioned as withProvisionedAlias } from '../support/provisioned';

const START = new Date('2026-11-09T10:00:00.000Z');
const TABLE = 'fledge-provisioned-test';

const release = (functionName: string) => ({
  target: { type: 'lambda-alias', functionName, alias: 'live', version: '2' },
  strategy: { steps: [{ weight: 30, bakeMinutes: 5 }] },
});

/** A function whose alias has 10 provisioned concurrency, and its minutes. */
async function aliasWithProvisioned(name: string, options: { canaryFails?: boolean } = {}) {
  await withProvisionedAlias(name, options);
  await publishLambdaMinutes(name, 'live', START, 90, {
    '1': { requests: 9000, errors: 45 },
    '2': { requests: 1000, errors: 5 },
  });
}

/**
 * A local run on a virtual clock. Its Waits take no wall time while moto's provisioned concurrency takes a
 * real second to be READY: each ProvisionCanary pass first lets a little real time go by, as the deployed
 * state machine's 30 s Wait does.
 */
async function run(functionName: string) {
  const clock = new VirtualClock(START);
  const deps = {
    ...wireDeps(),
    clock,
    records: new DynamoDbRolloutRecords(TABLE, undefined, stepFunctionsExecutions),
  };
  const seen: string[] = [];
  const result = await runLocal({
    input: release(functionName),
    deps,
    virtualClock: clock,
    taskOverrides: {
      ProvisionCanary: async (taskInput, real) => {
        await new Promise((resolve) => setTimeout(resolve, 150));
        const output = (await real(taskInput)) as { provisioned?: { status: string } };
        seen.push(output.provisioned?.status ?? 'none');
        return output;
      },
      SetWeight: async (taskInput, real) => {
        // What the canary has when the first traffic reaches it.
        const config = await provisionedOf(functionName, '2');
        seen.push(
          `canary at first traffic: ${config?.Status} ${config?.AllocatedProvisionedConcurrentExecutions}`,
        );
        return real(taskInput);
      },
    },
  });
  return { result, report: toReport(result), seen };
}

beforeAll(async () => {
  useEndpoint(inject('motoEndpoint'));
  await createRolloutTable(TABLE);
});

describe('provisioned concurrency for the canary, on moto', () => {
  it('warms version 2 with 30% of the alias before its first traffic, promotes, and removes it', async () => {
    await aliasWithProvisioned('pc-healthy');

    const { result, report, seen } = await run('pc-healthy');

    expect(result.status, `${result.error}: ${result.cause} ${JSON.stringify(seen)}`).toBe('SUCCEEDED');
    expect(seen[0]).toBe('IN_PROGRESS');
    const ready = seen.indexOf('READY');
    expect(ready).toBeGreaterThan(0);
    expect(seen[ready + 1]).toBe('canary at first traffic: READY 3');
    expect(report.provisioned).toMatchObject({ version: '2', count: 3, status: 'removed' });
    expect(report.provisioned?.hours).toBeGreaterThan(0);
    expect(await provisionedOf('pc-healthy', '2')).toBeUndefined();
    // The alias keeps its own, which Lambda moved to version 2 with it.
    expect(await readAlias('pc-healthy', 'live')).toEqual({ version: '2', weights: {} });
    expect(await provisionedOf('pc-healthy', 'live')).toMatchObject({
      RequestedProvisionedConcurrentExecutions: 10,
    });
  });

  it('rolls back before any traffic moves when version 2 cannot be provisioned, and removes what it asked for', async () => {
    await aliasWithProvisioned('pc-failing', { canaryFails: true });

    const { result, report, seen } = await run('pc-failing');

    expect(result.error).toBe('fledge.RolledBack');
    expect(seen.at(-1)).toBe('FAILED');
    expect(seen.some((s) => s.startsWith('canary at first traffic'))).toBe(false);
    expect(report.reason).toMatch(
      /provisioned concurrency for version 2 failed \(FUNCTION_ERROR_INIT_FAILURE/,
    );
    expect(report.provisioned).toMatchObject({ status: 'removed' });
    expect(await provisionedOf('pc-failing', '2')).toBeUndefined();
    expect(await readAlias('pc-failing', 'live')).toEqual({ version: '1', weights: {} });
    expect(await provisionedOf('pc-failing', 'live')).toMatchObject({
      RequestedProvisionedConcurrentExecutions: 10,
    });
  });
});

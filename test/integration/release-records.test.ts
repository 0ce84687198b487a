/**
 * A release takes the rollout records of all its targets in one DynamoDB transaction, on moto: all or
 * none, so a release refused for one busy target holds none of them, and a retry as the same owner lands.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createRolloutTable } from '../../local/fixtures';
import { useEndpoint } from '../../local/moto';
import { dynamoDbClient } from '../../shared/aws/clients';
import { DynamoDbRolloutRecords } from '../../shared/aws/records';
import type { ExecutionState, RolloutRecord } from '../../shared/core/record';

const TABLE = 'fledge-release-records-test';
const NOW = '2026-12-04T10:00:00.000Z';

const record = (fn: string, owner: string, status: RolloutRecord['status'] = 'planning'): RolloutRecord => ({
  key: `lambda-alias#${fn}#live`,
  owner,
  since: NOW,
  updatedAt: NOW,
  status,
  target: { type: 'lambda-alias', functionName: fn, alias: 'live', version: '2' },
  label: `alias ${fn}:live`,
});

const states: Record<string, ExecutionState['status']> = {};
let records: DynamoDbRolloutRecords;

beforeAll(async () => {
  useEndpoint(inject('motoEndpoint'));
  await createRolloutTable(TABLE);
  const client: DynamoDBClient = dynamoDbClient();
  records = new DynamoDbRolloutRecords(TABLE, client, {
    describe: async (owner) => ({ status: states[owner] ?? 'RUNNING' }),
  });
});

describe('DynamoDbRolloutRecords.acquireAll', () => {
  it('takes every target of a release and points the execution at them', async () => {
    const release = ['rel-a', 'rel-b', 'rel-c'].map((fn) => record(fn, 'release-1'));
    await records.acquireAll(release);

    for (const r of release) expect((await records.get(r.key))?.owner).toBe('release-1');
    expect((await records.forExecution('release-1'))?.key).toBe(release[0]?.key);
    expect((await records.allForExecution('release-1')).map((r) => r.key)).toEqual(release.map((r) => r.key));
    // A retried Plan (same owner) takes them again.
    await expect(records.acquireAll(release)).resolves.toBeUndefined();
  });

  it('refuses a release one of whose targets another running execution holds, and takes none of them', async () => {
    await records.acquire(record('busy-b', 'other-run'));
    const release = ['busy-a', 'busy-b', 'busy-c'].map((fn) => record(fn, 'release-2'));

    const refusal = records.acquireAll(release);

    await expect(refusal).rejects.toMatchObject({ name: 'RolloutInProgressError' });
    await expect(refusal).rejects.toThrow(/took none of its targets: alias busy-b:live: /);
    expect(await records.get('lambda-alias#busy-a#live')).toBeUndefined();
    expect(await records.get('lambda-alias#busy-c#live')).toBeUndefined();
    expect((await records.get('lambda-alias#busy-b#live'))?.owner).toBe('other-run');
  });

  it('takes over a target whose holder ended without freeing it, with the others', async () => {
    await records.acquire(record('over-b', 'crashed-run', 'planning'));
    states['crashed-run'] = 'FAILED';
    const release = ['over-a', 'over-b'].map((fn) => record(fn, 'release-3'));

    await records.acquireAll(release);

    expect((await records.get('lambda-alias#over-a#live'))?.owner).toBe('release-3');
    expect((await records.get('lambda-alias#over-b#live'))?.owner).toBe('release-3');
  });

  it('finds the one record of a single rollout through the same pointer', async () => {
    await records.acquire(record('single', 'rollout-5'));
    expect((await records.allForExecution('rollout-5')).map((r) => r.key)).toEqual([
      'lambda-alias#single#live',
    ]);
    expect(await records.allForExecution('never-ran')).toEqual([]);
  });

  it('refuses a release that names one target twice before writing anything', async () => {
    const twice = [record('twice', 'release-4'), record('twice', 'release-4')];
    await expect(records.acquireAll(twice)).rejects.toThrow(/are the same target/);
    expect(await records.get('lambda-alias#twice#live')).toBeUndefined();
  });
});

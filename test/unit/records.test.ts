/**
 * Taking a target in the DynamoDB rollout records against a mocked SDK, for what moto cannot show: a put
 * that lands and loses its response, so that the SDK's resend meets the item it wrote itself.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbRolloutRecords } from '../../shared/aws/records';
import type { ExecutionState, RolloutRecord } from '../../shared/core/record';

const dynamodb = mockClient(DynamoDBClient);
const KEY = 'lambda-alias#checkout#live';

const rollout = (owner: string, status: RolloutRecord['status'] = 'planning'): RolloutRecord => ({
  key: KEY,
  owner,
  since: '2026-11-06T09:00:00.000Z',
  updatedAt: '2026-11-06T09:00:00.000Z',
  status,
  target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '7' },
  label: 'alias checkout:live',
});

const item = (record: RolloutRecord): Record<string, AttributeValue> => ({
  pk: { S: record.key },
  kind: { S: 'rollout' },
  owner: { S: record.owner },
  since: { S: record.since },
  status: { S: record.status },
  active: { BOOL: true },
  updatedAt: { S: record.updatedAt },
  doc: { S: JSON.stringify(record) },
});

const refused = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

/**
 * A table holding `initial` under the target's key. Puts on the target follow `puts` in order: 'refuse'
 * fails the condition; 'lost' stores the item, then fails as the SDK's resend of it would; a record
 * is another execution's put landing first, so this one's condition fails.
 */
function table(initial: RolloutRecord, puts: Array<'refuse' | 'lost' | RolloutRecord>) {
  let stored = item(initial);
  dynamodb
    .on(GetItemCommand)
    .callsFake(async (input) => ({ Item: input.Key?.pk?.S === KEY ? stored : undefined }));
  dynamodb.on(PutItemCommand).callsFake(async (input) => {
    if (input.Item?.pk?.S !== KEY) return {};
    const next = puts.shift();
    if (next === undefined) {
      stored = input.Item as Record<string, AttributeValue>;
      return {};
    }
    if (next === 'lost') stored = input.Item as Record<string, AttributeValue>;
    else if (next !== 'refuse') stored = item(next);
    throw refused();
  });
  return { stored: () => stored };
}

/** The previous holder's execution failed in Plan: it left no traffic, so its target may be taken. */
const ended = { describe: async (): Promise<ExecutionState> => ({ status: 'FAILED' }) };
const records = () =>
  new DynamoDbRolloutRecords('fledge-test', new DynamoDBClient({ region: 'us-east-1' }), ended);

beforeEach(() => dynamodb.reset());

describe('DynamoDbRolloutRecords.acquire', () => {
  it('takes over from an ended holder even when the takeover landed and only its resend was refused', async () => {
    // Prepare: the holder's execution is over but its record still holds the target; the first put is
    // refused, the takeover lands but its response is lost, and the SDK's resend fails its condition
    // (the previous owner is no longer there: this execution is).
    const mine = rollout('run-2');
    const t = table(rollout('run-1', 'planned'), ['refuse', 'lost']);

    // Act
    await records().acquire(mine);

    // Assess
    expect(t.stored().owner?.S).toBe('run-2');
    expect(t.stored().doc?.S).toBe(JSON.stringify(mine));
  });

  it('refuses when another execution took the target at the same moment', async () => {
    table(rollout('run-1', 'planned'), ['refuse', rollout('run-3')]);

    await expect(records().acquire(rollout('run-2'))).rejects.toMatchObject({
      name: 'RolloutInProgressError',
      message: expect.stringMatching(/another execution took this target at the same moment/),
    });
  });
});

describe('DynamoDbRolloutRecords.request', () => {
  const abort = {
    id: 'cmd-1',
    action: 'abort' as const,
    reason: 'customer escalation',
    by: 'alice',
    at: '2026-11-06T09:10:00.000Z',
  };

  it("takes a command whose write landed and whose resend was refused as done: it is the operator's own", async () => {
    // Prepare: the update lands, its response is lost, and the SDK's resend meets the command it wrote.
    let stored = item(rollout('run-1', 'baking'));
    dynamodb.on(GetItemCommand).callsFake(async () => ({ Item: stored }));
    dynamodb.on(UpdateItemCommand).callsFake(async () => {
      stored = {
        ...stored,
        command: { S: JSON.stringify(abort) },
        commandId: { S: abort.id },
        commandAction: { S: abort.action },
      };
      throw refused();
    });

    // Act
    await records().request(KEY, 'run-1', { command: abort });

    // Assess
    expect(stored.commandId?.S).toBe('cmd-1');
  });

  it("refuses a command while another operator's is pending, naming it", async () => {
    const other = { ...abort, id: 'cmd-0', by: 'bob', reason: 'flaky dashboard' };
    const stored = {
      ...item(rollout('run-1', 'baking')),
      command: { S: JSON.stringify(other) },
      commandId: { S: other.id },
      commandAction: { S: other.action },
    };
    dynamodb.on(GetItemCommand).resolves({ Item: stored });
    dynamodb.on(UpdateItemCommand).rejects(refused());

    await expect(records().request(KEY, 'run-1', { command: abort })).rejects.toMatchObject({
      name: 'RequestRefusedError',
      message: expect.stringContaining('requested by bob'),
    });
  });
});

/**
 * Rollout records, execution pointers and event claims in one DynamoDB table (partition key `pk`, TTL
 * attribute `expiresAt`). Conditional writes make taking a target atomic: two executions started at the
 * same moment cannot both win. Every write is conditional on the owner, never on a version counter, so
 * the SDK's resend of a write whose response was lost lands the same way instead of failing.
 */
import { createHash } from 'node:crypto';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  paginateScan,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { awsCall, RequestRefusedError, RolloutInProgressError, TrafficConflictError } from '../core/errors';
import {
  type OperatorCommand,
  type OperatorRequests,
  type Pause,
  pendingCommandRefusal,
} from '../core/operator';
import type { RequestChange, RolloutRecords } from '../core/ports';
import {
  busyReason,
  checkRelease,
  type Executions,
  isActive,
  mayTakeOver,
  type RolloutRecord,
  releaseRefusal,
} from '../core/record';
import { dynamoDbClient } from './clients';

/** How long an ended record, an execution pointer and an event claim are kept. */
const ENDED_RECORD_DAYS = 90;
/** Transactions a release's acquire tries, taking over ended holders between them. */
const RELEASE_ATTEMPTS = 3;
const EVENT_MEMORY_DAYS = 7;
const DAY_S = 86_400;

type Item = Record<string, AttributeValue>;

/**
 * The default for the functions that only read and update their own record: only Plan takes a target,
 * and only it asks Step Functions whether the execution holding one is still running. Keeping the
 * Step Functions client out of the other bundles keeps them smaller and quicker to start.
 */
const withoutExecutions: Executions = {
  describe: () =>
    Promise.reject(
      new Error(
        'these rollout records were built without Step Functions access; pass `executions` to take a target',
      ),
    ),
};

export class DynamoDbRolloutRecords implements RolloutRecords {
  constructor(
    private readonly table: string,
    private readonly client: DynamoDBClient = dynamoDbClient(),
    private readonly executions: Executions = withoutExecutions,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async acquire(record: RolloutRecord): Promise<void> {
    // The pointer lets recovery find the record from an execution's status-change event.
    await this.put({
      pk: { S: pointerKey(record.owner) },
      kind: { S: 'execution' },
      key: { S: record.key },
      expiresAt: { N: String(this.epoch() + ENDED_RECORD_DAYS * DAY_S) },
    });
    // `#owner = :owner` also lets the SDK's resend of this put, after a lost response, land again.
    const taken = await conditionFailed(() =>
      this.put(
        recordItem(record),
        'attribute_not_exists(pk) OR #active = :false OR #owner = :owner OR (attribute_not_exists(#active) AND expiresAt < :now)',
        { ':false': { BOOL: false }, ':owner': { S: record.owner }, ':now': { N: String(this.epoch()) } },
      ),
    );
    if (!taken) return;
    const item = await this.getItem(record.key);
    if (!item) return this.acquire(record); // it ended and expired in between
    if (!item.doc?.S) {
      // A lock written by fledge before records existed: it expires by itself.
      throw new RolloutInProgressError(
        `a rollout of this target is already in progress (${item.owner?.S ?? 'another execution'}, since ${item.since?.S ?? 'earlier'}); wait for it to end`,
      );
    }
    const holder = JSON.parse(item.doc.S) as RolloutRecord;
    const state = await this.executions.describe(holder.owner);
    if (!mayTakeOver(holder, state)) throw new RolloutInProgressError(busyReason(holder, state));
    const raced = await conditionFailed(() =>
      this.put(recordItem(record), '#owner = :previous AND #active = :true', {
        ':previous': { S: holder.owner },
        ':true': { BOOL: true },
      }),
    );
    if (raced && !(await this.holds(record))) {
      throw new RolloutInProgressError('another execution took this target at the same moment; try again', {
        cause: raced,
      });
    }
  }

  /**
   * One transaction takes every record and the execution's pointer: each record on the condition a single
   * acquire puts first (free, ended, expired, or already this owner's), or, for a target whose holder may
   * be taken over (its execution ended without freeing it), on that holder still having it. A refused
   * transaction wrote nothing; it is tried again only to take over holders found ended, a few times.
   */
  async acquireAll(records: readonly RolloutRecord[]): Promise<void> {
    checkRelease(records);
    const takeOver = new Map<string, string>();
    for (let attempt = 0; attempt < RELEASE_ATTEMPTS; attempt++) {
      const refused = await this.transactRelease(records, takeOver, attempt);
      if (!refused) return;
      const reasons = refused.CancellationReasons ?? [];
      // Index 0 is the pointer, which has no condition; record i is at i + 1.
      const blocked = records.filter((_, i) => reasons[i + 1]?.Code === 'ConditionalCheckFailed');
      const contended = reasons.some((r) => r.Code === 'TransactionConflict');
      if (blocked.length === 0 && !contended) throw refused;
      const busy: string[] = [];
      for (const record of blocked) {
        const item = await this.getItem(record.key);
        if (!item) continue; // ended and expired in between: the next attempt takes it
        if (!item.doc?.S) {
          busy.push(
            `${record.label}: a rollout of this target is already in progress (${item.owner?.S ?? 'another execution'})`,
          );
          continue;
        }
        const holder = JSON.parse(item.doc.S) as RolloutRecord;
        const state = await this.executions.describe(holder.owner);
        if (mayTakeOver(holder, state)) takeOver.set(record.key, holder.owner);
        else busy.push(`${record.label}: ${busyReason(holder, state)}`);
      }
      if (busy.length > 0) throw new RolloutInProgressError(releaseRefusal(busy), { cause: refused });
    }
    throw new RolloutInProgressError(
      releaseRefusal(['other executions took or freed its targets at the same moment; try again']),
    );
  }

  /** One attempt of acquireAll: undefined when every record was taken, DynamoDB's refusal otherwise. */
  private async transactRelease(
    records: readonly RolloutRecord[],
    takeOver: ReadonlyMap<string, string>,
    attempt: number,
  ): Promise<TransactionCanceledException | undefined> {
    const first = records[0] as RolloutRecord;
    const pointer: TransactWriteItem = {
      Put: {
        TableName: this.table,
        Item: {
          pk: { S: pointerKey(first.owner) },
          kind: { S: 'execution' },
          key: { S: first.key },
          keys: { L: records.map((r) => ({ S: r.key })) },
          expiresAt: { N: String(this.epoch() + ENDED_RECORD_DAYS * DAY_S) },
        },
      },
    };
    // The newest release by its name, for `fledge status <release>` once it has ended. Last in the
    // transaction: the records' cancellation reasons stay at i + 1.
    const name = first.release?.name;
    const named: TransactWriteItem[] = name
      ? [
          {
            Put: {
              TableName: this.table,
              Item: {
                pk: { S: releaseKey(name) },
                kind: { S: 'release' },
                owner: { S: first.owner },
                expiresAt: { N: String(this.epoch() + ENDED_RECORD_DAYS * DAY_S) },
              },
            },
          },
        ]
      : [];
    const items = records.map((record): TransactWriteItem => {
      const previous = takeOver.get(record.key);
      return {
        Put: {
          TableName: this.table,
          Item: recordItem(record),
          ExpressionAttributeNames: { '#owner': 'owner', '#active': 'active' },
          ...(previous
            ? {
                ConditionExpression: '(#owner = :previous AND #active = :true) OR #owner = :owner',
                ExpressionAttributeValues: {
                  ':previous': { S: previous },
                  ':true': { BOOL: true },
                  ':owner': { S: record.owner },
                },
              }
            : {
                ConditionExpression:
                  'attribute_not_exists(pk) OR #active = :false OR #owner = :owner OR (attribute_not_exists(#active) AND expiresAt < :now)',
                ExpressionAttributeValues: {
                  ':false': { BOOL: false },
                  ':owner': { S: record.owner },
                  ':now': { N: String(this.epoch()) },
                },
              }),
        },
      };
    });
    // The token makes the SDK's resend of a transaction whose response was lost land once (DynamoDB
    // keeps it 10 minutes); it differs per attempt, so a refused attempt's token never answers the next.
    const token = createHash('sha256')
      .update(JSON.stringify([first.owner, attempt, records.map((r) => r.key), [...takeOver]]))
      .digest('hex')
      .slice(0, 36);
    try {
      await awsCall('dynamodb:TransactWriteItems', () =>
        this.client.send(
          new TransactWriteItemsCommand({
            TransactItems: [pointer, ...items, ...named],
            ClientRequestToken: token,
          }),
        ),
      );
      return undefined;
    } catch (error) {
      if (error instanceof TransactionCanceledException) return error;
      throw error;
    }
  }

  /**
   * The item is the one this put wrote: the takeover landed and its response was lost, and the SDK's
   * resend then failed its condition because the previous owner is gone (this execution is the owner now).
   */
  private async holds(record: RolloutRecord): Promise<boolean> {
    const item = await this.getItem(record.key);
    return item?.owner?.S === record.owner && item.doc?.S === JSON.stringify(record);
  }

  async save(record: RolloutRecord): Promise<void> {
    await this.update(record, false);
  }

  async finish(record: RolloutRecord): Promise<void> {
    await this.update(record, true);
  }

  /** Rewrites the record's state, keeping what operators wrote beside it (requests). */
  private async update(record: RolloutRecord, end: boolean): Promise<void> {
    const values: Item = {
      ':owner': { S: record.owner },
      ':doc': { S: JSON.stringify(record) },
      ':status': { S: record.status },
      ':active': { BOOL: !end && isActive(record.status) },
      ':updated': { S: record.updatedAt },
    };
    let expression = 'SET doc = :doc, #status = :status, #active = :active, updatedAt = :updated';
    if (end) {
      values[':expires'] = { N: String(this.epoch() + ENDED_RECORD_DAYS * DAY_S) };
      // An ended rollout has nothing left to ask of: its pause and any pending command go.
      expression += ', expiresAt = :expires REMOVE pause, command, commandId';
    } else {
      values[':true'] = { BOOL: true };
    }
    const lost = await conditionFailed(() =>
      this.updateItem(record.key, {
        UpdateExpression: expression,
        // A save never reopens an ended record: a late write (a retry that outlived its step) must
        // not make a finished rollout hold its target again.
        ConditionExpression: end ? '#owner = :owner' : '#owner = :owner AND #active = :true',
        ExpressionAttributeNames: { '#owner': 'owner', '#status': 'status', '#active': 'active' },
        ExpressionAttributeValues: values,
      }),
    );
    // Not ours (any more): the rollout ended, or a later one took the target over after this one
    // ended. Leave it, and never move its traffic.
    if (lost && !end) {
      throw new TrafficConflictError(
        `${record.label}: this execution (${record.owner}) no longer holds the target (its rollout ended, or another took it over). fledge stopped without writing.`,
        { cause: lost },
      );
    }
  }

  async heartbeat(key: string, owner: string, at: string): Promise<void> {
    const lost = await conditionFailed(() =>
      this.updateItem(key, {
        UpdateExpression: 'SET heartbeat = :at',
        ConditionExpression: '#owner = :owner AND #active = :true',
        ExpressionAttributeNames: { '#owner': 'owner', '#active': 'active' },
        ExpressionAttributeValues: { ':at': { S: at }, ':owner': { S: owner }, ':true': { BOOL: true } },
      }),
    );
    if (lost) {
      throw new TrafficConflictError(
        `${key}: this run (${owner}) no longer holds the target (its rollout record was closed or taken over)`,
        { cause: lost },
      );
    }
  }

  async get(key: string): Promise<RolloutRecord | undefined> {
    const item = await this.getItem(key);
    return item?.doc?.S ? withHeartbeat(item) : undefined;
  }

  async forExecution(owner: string): Promise<RolloutRecord | undefined> {
    const pointer = await this.getItem(pointerKey(owner));
    const key = pointer?.key?.S;
    if (!key) return undefined;
    const record = await this.get(key);
    return record?.owner === owner ? record : undefined;
  }

  async allForExecution(owner: string): Promise<RolloutRecord[]> {
    const pointer = await this.getItem(pointerKey(owner));
    const keys =
      pointer?.keys?.L?.flatMap((k) => (k.S ? [k.S] : [])) ?? (pointer?.key?.S ? [pointer.key.S] : []);
    const records = await Promise.all(keys.map((key) => this.get(key)));
    // A target another execution has taken since is no longer this one's to report or restore.
    return records.filter((r): r is RolloutRecord => r?.owner === owner);
  }

  async forRelease(name: string): Promise<RolloutRecord | undefined> {
    const owner = (await this.getItem(releaseKey(name)))?.owner?.S;
    return owner ? this.forExecution(owner) : undefined;
  }

  async active(): Promise<RolloutRecord[]> {
    const out: RolloutRecord[] = [];
    await awsCall('dynamodb:Scan', async () => {
      const pages = paginateScan(
        { client: this.client },
        {
          TableName: this.table,
          FilterExpression: '#active = :true',
          ExpressionAttributeNames: { '#active': 'active' },
          ExpressionAttributeValues: { ':true': { BOOL: true } },
          ConsistentRead: true,
        },
      );
      for await (const page of pages) {
        for (const item of page.Items ?? []) if (item.doc?.S) out.push(withHeartbeat(item));
      }
    });
    return out;
  }

  async claimEvent(eventId: string, owner: string, now: Date): Promise<string | undefined> {
    const key = `event#${eventId}`;
    const claimed = await conditionFailed(() =>
      this.put(
        {
          pk: { S: key },
          kind: { S: 'event' },
          owner: { S: owner },
          since: { S: now.toISOString() },
          expiresAt: { N: String(Math.ceil(now.getTime() / 1000) + EVENT_MEMORY_DAYS * DAY_S) },
        },
        'attribute_not_exists(pk) OR #owner = :owner',
        { ':owner': { S: owner } },
      ),
    );
    if (!claimed) return undefined;
    return (await this.getItem(key))?.owner?.S ?? 'an earlier execution';
  }

  async releaseEvent(eventId: string, owner: string): Promise<void> {
    // Another execution claimed it since: leave its claim.
    await conditionFailed(() =>
      awsCall('dynamodb:DeleteItem', () =>
        this.client.send(
          new DeleteItemCommand({
            TableName: this.table,
            Key: { pk: { S: `event#${eventId}` } },
            ConditionExpression: '#owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':owner': { S: owner } },
          }),
        ),
      ),
    );
  }

  async requests(key: string): Promise<OperatorRequests> {
    const item = await this.getItem(key);
    return {
      ...(item?.command?.S ? { command: JSON.parse(item.command.S) as OperatorCommand } : {}),
      ...(item?.pause?.S ? { pause: JSON.parse(item.pause.S) as Pause } : {}),
    };
  }

  async request(key: string, owner: string, change: RequestChange): Promise<void> {
    const names: Record<string, string> = { '#owner': 'owner', '#active': 'active' };
    const values: Item = { ':owner': { S: owner }, ':true': { BOOL: true } };
    let update: string;
    let condition = '#owner = :owner AND #active = :true';
    if ('command' in change) {
      update = 'SET command = :command, commandId = :id, commandAction = :action';
      values[':command'] = { S: JSON.stringify(change.command) };
      values[':id'] = { S: change.command.id };
      values[':action'] = { S: change.command.action };
      // A pending command is never replaced silently: only one a check has already applied (its clear
      // was lost), or, by an abort, one that is not an abort (docs/OPERATIONS.md).
      const may = ['attribute_not_exists(commandId)'];
      if (change.replacing) {
        may.push('commandId = :replacing');
        values[':replacing'] = { S: change.replacing };
      }
      if (change.command.action === 'abort') {
        may.push('(attribute_exists(commandAction) AND commandAction <> :abort)');
        values[':abort'] = { S: 'abort' };
      }
      condition += ` AND (${may.join(' OR ')})`;
    } else if ('pause' in change) {
      update = 'SET pause = :pause';
      values[':pause'] = { S: JSON.stringify(change.pause) };
      condition += ' AND attribute_not_exists(pause)';
    } else {
      update = 'REMOVE pause';
      condition += ' AND attribute_exists(pause)';
    }
    const refused = await conditionFailed(() =>
      this.updateItem(key, {
        UpdateExpression: update,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
    if (!refused) return;
    const item = await this.getItem(key);
    const pending = item?.command?.S ? (JSON.parse(item.command.S) as OperatorCommand) : undefined;
    // The SDK's resend of a write that landed, its response lost, fails its own condition: it is done.
    if ('command' in change && pending?.id === change.command.id && item?.owner?.S === owner) return;
    throw new RequestRefusedError(
      item?.active?.BOOL !== true || item.owner?.S !== owner
        ? 'that rollout no longer holds its target (it has ended); nothing was changed'
        : 'command' in change
          ? pendingCommandRefusal(change.command.action, pending)
          : 'pause' in change
            ? 'the rollout is already paused; `fledge resume` lifts the pause'
            : 'the rollout is not paused; nothing to resume',
      { cause: refused },
    );
  }

  async clearCommand(key: string, id: string): Promise<void> {
    // A newer command replaced it: leave that one for the next check.
    await conditionFailed(() =>
      this.updateItem(key, {
        UpdateExpression: 'REMOVE command, commandId, commandAction',
        ConditionExpression: 'commandId = :id',
        ExpressionAttributeValues: { ':id': { S: id } },
      }),
    );
  }

  private getItem(key: string): Promise<Item | undefined> {
    return awsCall('dynamodb:GetItem', async () => {
      const result = await this.client.send(
        new GetItemCommand({ TableName: this.table, Key: { pk: { S: key } }, ConsistentRead: true }),
      );
      return result.Item;
    });
  }

  private updateItem(
    key: string,
    update: Omit<UpdateItemCommandInput, 'TableName' | 'Key'>,
  ): Promise<unknown> {
    return awsCall('dynamodb:UpdateItem', () =>
      this.client.send(new UpdateItemCommand({ TableName: this.table, Key: { pk: { S: key } }, ...update })),
    );
  }

  private put(item: Item, condition?: string, values?: Item): Promise<unknown> {
    return awsCall('dynamodb:PutItem', () =>
      this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: item,
          ...(condition
            ? {
                ConditionExpression: condition,
                ExpressionAttributeNames: condition.includes('#')
                  ? Object.fromEntries(
                      ['owner', 'active'].filter((n) => condition.includes(`#${n}`)).map((n) => [`#${n}`, n]),
                    )
                  : undefined,
                ExpressionAttributeValues: values,
              }
            : {}),
        }),
      ),
    );
  }

  private epoch(): number {
    return Math.floor(this.now().getTime() / 1000);
  }
}

/**
 * Runs a conditional write: undefined when it was written, DynamoDB's refusal when its condition did
 * not hold (any other error is thrown).
 */
async function conditionFailed(
  write: () => Promise<unknown>,
): Promise<ConditionalCheckFailedException | undefined> {
  try {
    await write();
    return undefined;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return error;
    throw error;
  }
}

function pointerKey(owner: string): string {
  return `execution#${owner}`;
}

function releaseKey(name: string): string {
  return `release#${name}`;
}

function recordItem(record: RolloutRecord): Item {
  return {
    pk: { S: record.key },
    kind: { S: 'rollout' },
    owner: { S: record.owner },
    since: { S: record.since },
    status: { S: record.status },
    active: { BOOL: isActive(record.status) },
    updatedAt: { S: record.updatedAt },
    doc: { S: JSON.stringify(record) },
  };
}

/** The table named by FLEDGE_TABLE (set by serverless.yml, or by a person for local runs), if any. */
export function recordsFromEnv(executions?: Executions): DynamoDbRolloutRecords | undefined {
  const table = process.env.FLEDGE_TABLE;
  return table ? new DynamoDbRolloutRecords(table, undefined, executions) : undefined;
}

/** The functions' table: serverless.yml always sets FLEDGE_TABLE, so its absence is a broken deployment. */
export function deployedRecords(executions?: Executions): DynamoDbRolloutRecords {
  const records = recordsFromEnv(executions);
  if (!records)
    throw new Error('FLEDGE_TABLE is not set: the function was deployed without its rollout table');
  return records;
}

/** The record an item holds, with the lease a local run keeps beside it. */
function withHeartbeat(item: Item): RolloutRecord {
  const record = JSON.parse(item.doc?.S ?? '{}') as RolloutRecord;
  return item.heartbeat?.S ? { ...record, heartbeatAt: item.heartbeat.S } : record;
}

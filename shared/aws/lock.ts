/**
 * One rollout per target at a time, and one rollout per delivered event. A DynamoDB conditional write
 * is atomic, so two executions started at the same moment cannot both win.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { awsCall, RolloutInProgressError } from '../core/errors';
import type { Target } from '../core/schema';
import { dynamoDbClient, sfnClient } from './clients';

export interface LockRequest {
  key: string;
  /** The execution taking the lock. Taking it again as the same owner succeeds (a retried Plan). */
  owner: string;
  /** After this, a lock left behind (e.g. by a run that ended in RollbackFailed) may be taken over. */
  until: Date;
  now: Date;
}

/** Serializes rollouts per target and remembers which events already started one. */
export interface RolloutLock {
  /** @throws RolloutInProgressError when another execution holds the target. */
  acquire(request: LockRequest): Promise<void>;
  release(key: string, owner: string): Promise<void>;
  /** Records that `eventId` started `owner`; returns the earlier owner if the event was seen before. */
  claimEvent(eventId: string, owner: string, now: Date): Promise<string | undefined>;
}

/** The lock key of a target: what two rollouts must not share. */
export function lockKey(target: Target): string {
  switch (target.type) {
    case 'lambda-alias':
      return `lambda-alias#${target.functionName}#${target.alias}`;
    case 'route53-weighted':
      return `route53-weighted#${target.hostedZoneId.replace('/hostedzone/', '')}#${target.recordName.toLowerCase().replace(/\.$/, '')}#${target.recordType}`;
  }
}

const EVENT_MEMORY_SECONDS = 7 * 24 * 3600;

/** The lock table: partition key `pk` (string), TTL attribute `expiresAt` (epoch seconds). */
export class DynamoDbRolloutLock implements RolloutLock {
  /**
   * @param hasEnded tells whether the execution holding a lock is over (its lock may then be taken):
   *   runs that end without releasing (a conflict stop, a failed rollback, an aborted execution) do not
   *   block the target until their lock expires.
   */
  constructor(
    private readonly table: string,
    private readonly client: DynamoDBClient = dynamoDbClient(),
    private readonly hasEnded: (owner: string) => Promise<boolean> = executionHasEnded,
  ) {}

  async acquire({ key, owner, until, now }: LockRequest): Promise<void> {
    try {
      await this.put(
        { key, owner, now, until },
        'attribute_not_exists(pk) OR #owner = :owner OR expiresAt < :now',
        {
          ':owner': { S: owner },
          ':now': { N: String(Math.floor(now.getTime() / 1000)) },
        },
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const holder = await this.client.send(
        new GetItemCommand({ TableName: this.table, Key: { pk: { S: key } }, ConsistentRead: true }),
      );
      const by = holder.Item?.owner?.S ?? 'another execution';
      const since = holder.Item?.since?.S ?? 'earlier';
      if (holder.Item?.owner?.S && (await this.hasEnded(holder.Item.owner.S))) {
        return this.takeOver({ key, owner, until, now }, holder.Item.owner.S);
      }
      throw new RolloutInProgressError(
        `a rollout of this target is already in progress (${by}, since ${since}); ` +
          'wait for it to end, or stop it, before starting another',
        { cause: error },
      );
    }
  }

  /** Replaces the lock of an ended execution, unless someone else replaced it first. */
  private async takeOver(request: LockRequest, previous: string): Promise<void> {
    try {
      await this.put(request, '#owner = :previous', { ':previous': { S: previous } });
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      throw new RolloutInProgressError('another execution took this target at the same moment; try again', {
        cause: error,
      });
    }
  }

  /** A conditional write of one lock item; DynamoDB deletes it by TTL after `until`. */
  private put(
    item: { key: string; owner: string; now: Date; until: Date },
    condition: string,
    values: Record<string, { S: string } | { N: string }>,
  ): Promise<unknown> {
    return awsCall('dynamodb:PutItem', () =>
      this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            pk: { S: item.key },
            owner: { S: item.owner },
            since: { S: item.now.toISOString() },
            expiresAt: { N: String(Math.ceil(item.until.getTime() / 1000)) },
          },
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  async release(key: string, owner: string): Promise<void> {
    try {
      await awsCall('dynamodb:DeleteItem', () =>
        this.client.send(
          new DeleteItemCommand({
            TableName: this.table,
            Key: { pk: { S: key } },
            ConditionExpression: '#owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':owner': { S: owner } },
          }),
        ),
      );
    } catch (error) {
      // Not ours (any more): someone took over an expired lock. Leave theirs alone.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async claimEvent(eventId: string, owner: string, now: Date): Promise<string | undefined> {
    const key = `event#${eventId}`;
    try {
      const until = new Date(now.getTime() + EVENT_MEMORY_SECONDS * 1000);
      await this.put({ key, owner, now, until }, 'attribute_not_exists(pk) OR #owner = :owner', {
        ':owner': { S: owner },
      });
      return undefined;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const seen = await this.client.send(
        new GetItemCommand({ TableName: this.table, Key: { pk: { S: key } }, ConsistentRead: true }),
      );
      return seen.Item?.owner?.S ?? 'an earlier execution';
    }
  }
}

/** The lock table named by FLEDGE_LOCK_TABLE (set by serverless.yml), or no lock without one. */
export function lockFromEnv(): RolloutLock {
  const table = process.env.FLEDGE_LOCK_TABLE;
  return table ? new DynamoDbRolloutLock(table) : noLock;
}

/** For local runs without a lock table: nothing is serialized, and `fledge run` says so. */
export const noLock: RolloutLock = {
  acquire: async () => undefined,
  release: async () => undefined,
  claimEvent: async () => undefined,
};

/**
 * Whether a Step Functions execution is over. Only real execution ARNs can be checked; a local run's
 * owner id cannot, and counts as still running (its lock expires instead).
 */
export async function executionHasEnded(owner: string): Promise<boolean> {
  if (!/^arn:aws[\w-]*:states:[\w-]+:\d{12}:execution:/.test(owner) || owner.includes(':000000000000:'))
    return false;
  try {
    const execution = await sfnClient().send(new DescribeExecutionCommand({ executionArn: owner }));
    return execution.status !== 'RUNNING';
  } catch (error) {
    if ((error as Error).name === 'ExecutionDoesNotExist') return true;
    throw error;
  }
}

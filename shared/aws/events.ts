/**
 * Lifecycle events on EventBridge (source `fledge`), for people to route to SNS, Slack or a pager.
 * Shapes are documented in docs/EVENTS.md.
 */
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { awsCall } from '../core/errors';
import { logger } from '../lambda/logging';
import { timing } from '../lambda/timeouts';
import { eventBridgeClient } from './clients';

export const EVENT_SOURCE = 'fledge';

export type LifecycleEvent =
  | 'Canary Started'
  | 'Canary Weight Changed'
  | 'Canary Promoted'
  | 'Canary Rolled Back'
  | 'Canary Rollback Failed'
  | 'Canary Recovery Failed';

/** Publishes lifecycle events; a failure to notify never fails a rollout. */
export interface EventPublisher {
  publish(detailType: LifecycleEvent, detail: Record<string, unknown>): Promise<void>;
}

export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly busName = 'default',
    private readonly client: EventBridgeClient = eventBridgeClient(),
  ) {}

  async publish(detailType: LifecycleEvent, detail: Record<string, unknown>): Promise<void> {
    try {
      // A notification never holds a step: past its deadline the request is abandoned.
      const abortSignal = AbortSignal.timeout(timing().bestEffortMs);
      const result = await awsCall('events:PutEvents', () =>
        this.client.send(
          new PutEventsCommand({
            Entries: [
              {
                EventBusName: this.busName,
                Source: EVENT_SOURCE,
                DetailType: detailType,
                Detail: JSON.stringify(detail),
              },
            ],
          }),
          { abortSignal },
        ),
      );
      if ((result.FailedEntryCount ?? 0) > 0) {
        logger.warn('lifecycle event not accepted', { detailType, entries: result.Entries });
      }
    } catch (error) {
      // Traffic decisions matter more than notifications: log and carry on.
      logger.warn('lifecycle event not published', { detailType, error: error as Error });
    }
  }
}

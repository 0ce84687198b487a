/**
 * Lifecycle events on EventBridge (source `fledge`), for people to route to SNS, Slack or a pager.
 * Shapes are documented in docs/EVENTS.md.
 */
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { awsCall } from '../core/errors';
import { eventSummary } from '../core/event-summary';
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
  | 'Canary Recovery Failed'
  | 'Canary Traffic Conflict';

/** How much a person should care; subscribers filter on `detail.severity`. */
export type Severity = 'high' | 'medium' | 'low';

/**
 * The severity of each detail-type: outcomes that leave traffic off the new version or possibly split
 * are high, a promotion medium, progress low. A new detail-type gets its line here (the type demands it).
 */
export const SEVERITY: Record<LifecycleEvent, Severity> = {
  'Canary Started': 'low',
  'Canary Weight Changed': 'low',
  'Canary Promoted': 'medium',
  'Canary Rolled Back': 'high',
  'Canary Rollback Failed': 'high',
  'Canary Recovery Failed': 'high',
  'Canary Traffic Conflict': 'high',
};

/**
 * The detail as published: the step's fields plus `severity` and a one-sentence `summary` for people
 * (both kept when the caller already set them, as the state machine does for Rollback Failed and
 * Traffic Conflict).
 */
export function lifecycleDetail(
  detailType: LifecycleEvent,
  detail: Record<string, unknown>,
): Record<string, unknown> {
  return {
    ...detail,
    severity: detail.severity ?? SEVERITY[detailType],
    summary: detail.summary ?? eventSummary(detailType, detail),
  };
}

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
                Detail: JSON.stringify(lifecycleDetail(detailType, detail)),
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

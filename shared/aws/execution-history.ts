/**
 * Reads a deployed execution's history from Step Functions, every page, oldest first. The report
 * needs only `states:GetExecutionHistory` on the execution.
 */
import { type HistoryEvent, paginateGetExecutionHistory, type SFNClient } from '@aws-sdk/client-sfn';
import { sfnClient } from './clients';

/** All events of one execution (at most 25,000: Step Functions' own limit), 1,000 a page. */
export async function readExecutionHistory(
  executionArn: string,
  client: SFNClient = sfnClient(),
): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  const pages = paginateGetExecutionHistory(
    { client, pageSize: 1000 },
    { executionArn, includeExecutionData: true, reverseOrder: false },
  );
  for await (const page of pages) events.push(...(page.events ?? []));
  return events;
}

/**
 * `fledge status --watch`: refresh a rollout until it ends. A refresh that meets a transient AWS error
 * (throttling, a 5xx, a network error) is said in one line and tried again at the next interval, up to
 * MAX_FAILED_REFRESHES in a row; any other error ends the watch, as it would end `fledge status`.
 */
import { isTransient } from '../../shared/core/errors';
import type { RolloutRecords } from '../../shared/core/ports';
import { type Executions, isActive } from '../../shared/core/record';
import { type Found, refreshRollout, type Status, type Superseded, statusOf } from './operate';

/** Failed refreshes in a row after which the watch gives up (exit 1): at 10 s, under a minute of trying. */
export const MAX_FAILED_REFRESHES = 5;

/** A refresh that failed transiently, as `--watch` shows it before trying again. */
export interface FailedRefresh {
  rollout: string;
  owner: string;
  refresh: 'failed';
  error: { name: string; message: string };
  /** How many refreshes have failed in a row, this one included, and how many the watch allows. */
  failures: number;
  giveUpAfter: number;
  retryInSeconds: number;
}

export function describeFailedRefresh(f: FailedRefresh): string {
  return `${f.rollout}: could not refresh (${f.error.name}: ${f.error.message}), a transient AWS error; trying again in ${f.retryInSeconds}s (${f.failures} of ${f.giveUpAfter} failures in a row before giving up). The rollout is not affected`;
}

export interface WatchOptions {
  intervalSeconds: number;
  show: (seen: { status: Status } | { ended: Superseded } | { failed: FailedRefresh }) => void;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Shows `first`, then refreshes it every interval until it ends. It follows the rollout first found, not
 * whichever holds the target: a rollout that ends and is followed by another between two refreshes has
 * ended all the same.
 */
export async function watchRollout(
  first: Found,
  records: RolloutRecords,
  executions: Executions,
  options: WatchOptions,
): Promise<void> {
  const sleep = options.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let shown = statusOf(first);
  options.show({ status: shown });
  let failures = 0;
  while (isActive(shown.status)) {
    await sleep(options.intervalSeconds * 1000);
    let seen: { status: Status } | { ended: Superseded };
    try {
      seen = await refresh(first, records, executions);
    } catch (error) {
      if (!isTransient(error)) throw error;
      failures += 1;
      const { name, message } = error as Error;
      if (failures >= MAX_FAILED_REFRESHES) {
        throw new Error(
          `${first.record.label}: gave up watching after ${failures} failed refreshes in a row (last: ${name}: ${message}); the rollout itself goes on: \`fledge status\` shows it`,
          { cause: error },
        );
      }
      options.show({
        failed: {
          rollout: first.record.label,
          owner: first.record.owner,
          refresh: 'failed',
          error: { name, message },
          failures,
          giveUpAfter: MAX_FAILED_REFRESHES,
          retryInSeconds: options.intervalSeconds,
        },
      });
      continue;
    }
    failures = 0;
    options.show(seen);
    if ('ended' in seen) return;
    shown = seen.status;
  }
}

async function refresh(
  first: Found,
  records: RolloutRecords,
  executions: Executions,
): Promise<{ status: Status } | { ended: Superseded }> {
  const again = await refreshRollout(first.record, records, executions);
  if (again) return { status: statusOf(again) };
  const { owner, key, label } = first.record;
  const [now, execution] = await Promise.all([records.get(key), executions.describe(owner)]);
  return {
    ended: {
      rollout: label,
      key,
      owner,
      status: 'ended',
      execution: execution.status,
      ...(now ? { next: { owner: now.owner, status: now.status } } : {}),
    },
  };
}

/**
 * Bookkeeping (a record written after the traffic write, the target freed, a notification) must never
 * decide a rollout: a throttled or denied write of it is retried a little, then logged and left to the
 * recovery sweep and the table's TTL. It never sends a step to Rollback, nor turns a finished rollback
 * into RollbackFailed.
 */
import { isTransient } from '../core/errors';
import { logger } from '../lambda/logging';
import { timing } from '../lambda/timeouts';

const ATTEMPTS = 3;

export async function bestEffort(what: string, write: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), timing().bestEffortMs);
  });
  try {
    const over = { late: false };
    const done = await Promise.race([attempt(what, write, over), deadline]);
    over.late = true;
    if (done === 'late') logger.warn(`${what} took too long; left to the recovery sweep`);
    return done === true;
  } finally {
    clearTimeout(timer);
  }
}

async function attempt(
  what: string,
  write: () => Promise<unknown>,
  over: { late: boolean },
): Promise<boolean> {
  for (let n = 1; !over.late; n++) {
    try {
      await write();
      return true;
    } catch (error) {
      if (!isTransient((error as Error).cause ?? error) || n >= ATTEMPTS) {
        logger.warn(`${what} failed; left to the recovery sweep`, { error: error as Error });
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 100 * 2 ** n));
    }
  }
  return false;
}

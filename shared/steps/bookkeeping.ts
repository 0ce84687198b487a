/**
 * Bookkeeping (a record written after the traffic write, the target freed, a notification) must never
 * decide a rollout: a throttled or denied write of it is retried a little, then logged and left to the
 * recovery sweep and the table's TTL. It never sends a step to Rollback, nor turns a finished rollback
 * into RollbackFailed.
 */
import { isTransient } from '../core/errors';
import { logger } from '../lambda/logging';

const ATTEMPTS = 3;

export async function bestEffort(what: string, write: () => Promise<unknown>): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await write();
      return true;
    } catch (error) {
      if (!isTransient((error as Error).cause ?? error) || attempt >= ATTEMPTS) {
        logger.warn(`${what} failed; left to the recovery sweep`, { error: error as Error });
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 100 * 2 ** attempt));
    }
  }
}

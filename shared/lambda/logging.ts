import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { MiddlewareObj } from '@middy/core';

/** One logger for all functions; `POWERTOOLS_LOG_LEVEL` sets its level. */
export const logger = new Logger({ serviceName: 'fledge' });

interface StepEvent {
  executionId?: string;
}

/**
 * Powertools context plus the Step Functions execution id on every line, so one rollout's logs can be
 * followed across the five functions. Errors are logged with their name, which the ASL routes on.
 */
export function withLogging(step: string): Array<MiddlewareObj<StepEvent, unknown>> {
  const execution: MiddlewareObj<StepEvent, unknown> = {
    before: (request) => {
      logger.appendKeys({ step, executionId: request.event?.executionId ?? 'unknown' });
    },
    after: (request) => {
      const response = request.response as {
        next?: { action?: string; reason?: string };
        /** Promote returns the outcome; Rollback returns it under `outcome`, beside the cause. */
        outcome?: string | { outcome?: string; reason?: string };
        reason?: string;
        lastVerdict?: unknown;
        verdict?: unknown;
      };
      const ended = typeof response?.outcome === 'object' ? response.outcome : response;
      // The verdict carries the evidence (counts, rates, e-value): why fledge did what it did. The
      // dashboard's outcomes table reads `action` and `reason` of the promote and rollback lines.
      logger.info(`${step} done`, {
        action: response?.next?.action ?? ended?.outcome,
        reason: response?.next?.reason ?? ended?.reason,
        verdict: response?.lastVerdict ?? response?.verdict,
      });
    },
    onError: (request) => {
      const error = request.error as Error;
      logger.error(`${step} failed`, { errorName: error.name, error });
    },
  };
  return [injectLambdaContext(logger, { resetKeys: true }), execution];
}

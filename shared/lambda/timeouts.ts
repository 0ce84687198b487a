/**
 * How long each function may run. serverless.yml sets these as the functions' timeouts, and every Task
 * of statemachines/canary.asl.yml waits TASK_MARGIN_SECONDS longer, so the function's own clean timeout
 * (StepTimeoutError, retried) fires before Step Functions gives up on the Task; test/deploy checks that
 * the three agree. Each is several times the worst single AWS call (shared/aws/clients.ts).
 */
export const FUNCTION_TIMEOUT_SECONDS = {
  plan: 60,
  'set-weight': 90,
  'evaluate-metrics': 60,
  promote: 120,
  rollback: 90,
  recover: 300,
} as const;

export type FunctionName = keyof typeof FUNCTION_TIMEOUT_SECONDS;

export const TASK_MARGIN_SECONDS = 15;

/** A step stops itself this long before Lambda would stop it, with a named error the ASL retries. */
export const EARLY_TIMEOUT_MS = 2_000;

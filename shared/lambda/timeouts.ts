/**
 * How long each part of a step may take. serverless.yml sets FUNCTION_TIMEOUT_SECONDS as the functions'
 * timeouts, and every Task of statemachines/canary.asl.yml waits TASK_MARGIN_SECONDS longer, so the
 * function's own clean timeout (StepTimeoutError, retried) fires before Step Functions gives up on the
 * Task; test/deploy checks that the three agree. Inside a function, every AWS call is bounded by the
 * SDK client settings, and bookkeeping by its own deadline, so nothing can stall a step for good.
 */
export const FUNCTION_TIMEOUT_SECONDS = {
  plan: 60,
  'set-weight': 90,
  'provision-canary': 60,
  'evaluate-metrics': 60,
  promote: 120,
  rollback: 90,
  recover: 300,
} as const;

export type FunctionName = keyof typeof FUNCTION_TIMEOUT_SECONDS;

export const TASK_MARGIN_SECONDS = 15;

/** The functions the state machine's Tasks invoke (EventBridge invokes recover; no Task does). */
export const TASK_FUNCTIONS = [
  'plan',
  'provision-canary',
  'set-weight',
  'evaluate-metrics',
  'promote',
  'rollback',
] as const satisfies readonly FunctionName[];

/**
 * How long after an execution is stopped (or times out) a Task Lambda it started may still write:
 * Step Functions does not stop the invocation in flight, which runs until it returns or reaches its
 * function timeout. The longest Task function timeout, plus the Task margin for the invocation's start
 * and a request it sent last. Recovery acts on such an execution only after this (shared/steps/recover.ts).
 */
export const TASK_SETTLE_SECONDS =
  Math.max(...TASK_FUNCTIONS.map((fn) => FUNCTION_TIMEOUT_SECONDS[fn])) + TASK_MARGIN_SECONDS;

/**
 * What the recover function keeps of its own time for the recovery itself (a few bounded AWS calls and
 * bookkeeping) when it waits in-process for a stopped execution's Task to end.
 */
export const RECOVERY_WORK_SECONDS = 60;

export interface Timing {
  /** Attempts per AWS call, with the SDK's jittered backoff (standard mode). */
  maxAttempts: number;
  /** Attempts per AWS call while it is throttled: a throttled reply is quick, its backoff is the wait. */
  throttlingAttempts: number;
  /** A connection must open within this. */
  connectionTimeoutMs: number;
  /** A request and its whole reply must be done within this, or it fails with the SDK's TimeoutError. */
  requestTimeoutMs: number;
  /** A step stops itself this long before its Lambda would, with StepTimeoutError. */
  earlyTimeoutMs: number;
  /** Bookkeeping (a record written after the traffic write, an event) gives up after this, whatever happens. */
  bestEffortMs: number;
}

/**
 * The worst single AWS call, 3 × (2 s + 5 s) plus backoff, stays well inside the shortest function (60 s),
 * and bookkeeping (8 s) cannot hold a step that has done its traffic work. A throttled call's six
 * attempts back off at most 1 + 2 + 4 + 8 + 16 s (full jitter: about half that on average).
 */
export const TIMING: Timing = {
  maxAttempts: 3,
  throttlingAttempts: 6,
  connectionTimeoutMs: 2_000,
  requestTimeoutMs: 5_000,
  earlyTimeoutMs: 2_000,
  bestEffortMs: 8_000,
};

let current = TIMING;

export function timing(): Timing {
  return current;
}

/**
 * Changes the timing of clients and handlers not yet built. The fault-injection tests scale every limit
 * down together (keeping their ratios); nothing else calls it.
 */
export function configureTiming(overrides: Partial<Timing>): void {
  current = { ...current, ...overrides };
}

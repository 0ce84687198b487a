import type { Deps } from '../../shared/deps';
import { plan } from '../../shared/plan';
import { stepHandler } from '../../shared/step-handler';

/** Input of the Plan task: the console input (or a trigger's event) and the execution id. */
export interface PlanEvent {
  input: unknown;
  executionId?: string;
}

export const createHandler = (deps?: () => Deps) =>
  stepHandler(
    'plan',
    (event: PlanEvent, d) => plan(event.input, d, { executionId: event.executionId ?? 'unknown' }),
    deps,
  );

export const handler = createHandler();

import type { Deps } from '../../shared/deps';
import { evaluate, type RolloutEvent } from '../../shared/rollout';
import { stepHandler } from '../../shared/step-handler';

export const createHandler = (deps?: () => Deps) =>
  stepHandler('evaluate-metrics', (event: RolloutEvent, d) => evaluate(event.rollout, d), deps);

export const handler = createHandler();

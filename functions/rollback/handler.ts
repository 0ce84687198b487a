import type { Deps } from '../../shared/deps';
import { type RolloutEvent, rollback } from '../../shared/rollout';
import { stepHandler } from '../../shared/step-handler';

export const createHandler = (deps?: () => Deps) =>
  stepHandler('rollback', (event: RolloutEvent, d) => rollback(event.rollout, d), deps);

export const handler = createHandler();

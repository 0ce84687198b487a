import type { Deps } from '../../shared/deps';
import { promote, type RolloutEvent } from '../../shared/rollout';
import { stepHandler } from '../../shared/step-handler';

export const createHandler = (deps?: () => Deps) =>
  stepHandler('promote', (event: RolloutEvent, d) => promote(event.rollout, d), deps);

export const handler = createHandler();

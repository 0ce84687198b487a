import type { Deps } from '../../shared/deps';
import { type RolloutEvent, setWeight } from '../../shared/rollout';
import { stepHandler } from '../../shared/step-handler';

export const createHandler = (deps?: () => Deps) =>
  stepHandler('set-weight', (event: RolloutEvent, d) => setWeight(event.rollout, d), deps);

export const handler = createHandler();

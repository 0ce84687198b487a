/** One simulated rollout: the world moves a minute at a time, and a policy decides at each minute. */
import type { Step } from '../shared/core/strategy';
import { LAG_MINUTES, type Minute, type Sampler } from './model';
import type { Controller } from './policies';

export interface RolloutResult {
  outcome: 'promoted' | 'rolled-back';
  /** Minutes from the first shift to the decision. */
  minutes: number;
  /** Canary requests that failed before the run ended. */
  failedRequests: number;
}

/** Longer than any rollout here: fledge may hold a step 15 extra minutes waiting for data. */
const MAX_MINUTES = 240;

export function simulateRollout(
  steps: readonly Step[],
  controller: Controller,
  sample: Sampler,
): RolloutResult {
  const minutes: Minute[] = [];
  let step = 0;
  let failed = 0;
  for (let t = 0; t < MAX_MINUTES; t++) {
    const minute = sample((steps[step]?.weight ?? 100) / 100);
    minutes.push(minute);
    failed += minute.canary.errors;
    const action = controller.check(t + 1, minutes.slice(0, Math.max(0, t + 1 - LAG_MINUTES)));
    if (action === 'rollback') return { outcome: 'rolled-back', minutes: t + 1, failedRequests: failed };
    if (action === 'promote') return { outcome: 'promoted', minutes: t + 1, failedRequests: failed };
    if (action === 'advance') step = Math.min(step + 1, steps.length - 1);
  }
  throw new Error(`a rollout did not end within ${MAX_MINUTES} simulated minutes`);
}

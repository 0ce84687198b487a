/** One simulated rollout: the world moves a minute at a time, and a policy decides at each minute. */
import type { Step } from '../shared/core/strategy';
import type { Minute, WorldRun } from './model';
import type { Controller } from './policies';

export interface RolloutResult {
  outcome: 'promoted' | 'rolled-back';
  /** Minutes from the first shift to the decision. */
  minutes: number;
  /** Canary requests that failed before the run ended. */
  failedRequests: number;
  /** Rolled back because the evidence never came (fledge's insufficientData), not on a verdict. */
  forData?: boolean;
}

/**
 * Longer than any rollout here: fledge's longest hold for evidence (240 extra minutes, for the most
 * dispersed errors) may be taken on each step, and an adaptive ramp's rungs (three by default) are steps:
 * a bursts-10 rollout held 200 minutes on one rung for its evidence can be held again on the next.
 */
const MAX_MINUTES = 1000;

/**
 * Runs one rollout. At the end of minute t (the check at t + 1) a policy sees every minute up to t − 1:
 * those ended two minutes ago or more complete, minute t − 1 partly reported. Each policy reads up to its
 * own lag (fledge: 1 minute by default; the anchors: 2, complete minutes only).
 */
export function simulateRollout(
  steps: readonly Step[],
  controller: Controller,
  run: WorldRun,
): RolloutResult {
  const minutes: Minute[] = [];
  const shown: Minute[] = [];
  let step = 0;
  let failed = 0;
  for (let t = 0; t < MAX_MINUTES; t++) {
    const minute = run.minute((steps[step]?.weight ?? 100) / 100);
    minutes.push(minute);
    failed += minute.canary.errors;
    // Minute t − 2 is now complete; minute t − 1 is the newest readable one, partly reported.
    const complete = minutes[t - 2];
    if (complete) shown[t - 2] = run.view(complete, false);
    const newest = minutes[t - 1];
    const visible = newest ? [...shown.slice(0, t - 1), run.view(newest, true)] : [];
    const action = controller.check(t + 1, visible);
    if (action === 'rollback')
      return {
        outcome: 'rolled-back',
        minutes: t + 1,
        failedRequests: failed,
        ...(controller.forData?.() ? { forData: true } : {}),
      };
    if (action === 'promote') return { outcome: 'promoted', minutes: t + 1, failedRequests: failed };
    if (action === 'advance') step = Math.min(step + 1, steps.length - 1);
  }
  throw new Error(`a rollout did not end within ${MAX_MINUTES} simulated minutes`);
}

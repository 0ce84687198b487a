/**
 * The Plan step: validate the input against the schema, then against AWS, and fix the schedule.
 * Changes nothing. Kept apart from the other steps so only the plan function bundles the schema.
 */
import type { Deps } from './deps';
import { InvalidInputError } from './errors';
import { lambdaAliasCounts } from './metrics/cloudwatch';
import type { CountsQuery, TrafficContext } from './ports';
import type { RolloutState } from './rollout';
import { DeployInputSchema, type Target } from './schema';
import { resolveStrategy } from './strategy';

/** Validates the input against the schema and AWS, and fixes the plan. Changes nothing. */
export async function plan(input: unknown, deps: Deps): Promise<RolloutState> {
  const parsed = DeployInputSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`);
    throw new InvalidInputError(`invalid rollout input: ${problems.join('; ')}`);
  }
  const { target, strategy, analysis } = parsed.data;
  const steps = resolveStrategy(strategy);
  const traffic = await deps.router(target).prepare();
  const missing = await deps.metrics.missingAlarms(analysis.alarms);
  if (missing.length > 0) {
    throw new InvalidInputError(`analysis.alarms: no CloudWatch alarm named ${missing.join(', ')}`);
  }
  const reason = steps.length > 0 ? `${steps.length} step(s) planned` : 'AllAtOnce: no canary steps';
  return {
    target,
    strategy,
    steps,
    analysis,
    metrics: countsFor(target, traffic),
    traffic,
    progress: { stepIndex: 0, checks: 0, consecutiveErrors: 0 },
    next: { action: steps.length > 0 ? 'advance' : 'promote', reason },
    waitSeconds: 0,
    startedAt: deps.clock.now().toISOString(),
  };
}

function countsFor(target: Target, traffic: TrafficContext): CountsQuery {
  switch (target.type) {
    case 'lambda-alias':
      return lambdaAliasCounts(target.functionName, target.alias, traffic.baseline, traffic.canary);
  }
}

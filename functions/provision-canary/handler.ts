import { deployedRecords } from '../../shared/aws/records';
import { systemClock } from '../../shared/core/clock';
import { InvalidInputError } from '../../shared/core/errors';
import type { Target } from '../../shared/core/schema';
import { stepHandler } from '../../shared/lambda/step-handler';
import { type ProvisionDeps, provisionCanary } from '../../shared/steps/provision';
import type { RolloutEvent } from '../../shared/steps/rollout';
import { LambdaAliasRouter } from '../../shared/targets/lambda-alias/router';

/** Only a Lambda alias has provisioned capacity to give, so this function bundles only its router. */
function capacityRouter(target: Target): LambdaAliasRouter {
  if (target.type !== 'lambda-alias') {
    throw new InvalidInputError(`target.type '${target.type}' has no provisioned capacity to give`);
  }
  return new LambdaAliasRouter(target);
}

const wire = (): ProvisionDeps => ({
  clock: systemClock,
  router: capacityRouter,
  records: deployedRecords(),
});

export const createHandler = (deps: () => ProvisionDeps = wire) =>
  stepHandler('provision-canary', (event: RolloutEvent, d) => provisionCanary(event.rollout, d), deps);

export const handler = createHandler();

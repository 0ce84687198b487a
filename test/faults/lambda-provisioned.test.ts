/**
 * Fault injection on a Lambda alias with provisioned concurrency: the new version's is asked for, waited
 * on and removed, and every one of those calls meets every fault. Faults go to the states whose calls or
 * outcome provisioned concurrency changes (Plan reads it, ProvisionCanary asks for and waits on it,
 * Promote and Rollback remove it); SetWeight and Evaluate make the same calls as on an alias without it,
 * and test/faults/lambda-alias.test.ts puts every fault at each of them. A rollback after any fault runs
 * the Rollback calls faulted here.
 */
import { lambdaProvisionedWorld } from './matrix';
import { faultSuite } from './suite';

faultSuite('lambda-provisioned', lambdaProvisionedWorld, 'lambda:UpdateAlias', {
  states: ['ProvisionCanary'],
  ops: [
    'Plan lambda:GetProvisionedConcurrencyConfig',
    'ProvisionCanary lambda:PutProvisionedConcurrencyConfig',
    'ProvisionCanary lambda:GetProvisionedConcurrencyConfig',
    'Promote lambda:DeleteProvisionedConcurrencyConfig',
    'Rollback lambda:DeleteProvisionedConcurrencyConfig',
  ],
  only: ['Plan', 'ProvisionCanary', 'Promote', 'Rollback'],
});

/**
 * Fault injection on a Lambda alias with provisioned concurrency: the new version's is asked for, waited
 * on and removed, and every one of those calls meets every fault.
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
});

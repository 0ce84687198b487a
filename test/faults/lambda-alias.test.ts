/** Fault injection on a Lambda alias: every AWS call of every state, each fault once and on every attempt. */
import { lambdaWorld } from './matrix';
import { faultSuite } from './suite';

faultSuite('lambda-alias', lambdaWorld, 'lambda:UpdateAlias');

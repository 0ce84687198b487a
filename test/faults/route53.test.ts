/** Fault injection on Route 53 weighted records: every AWS call of every state, each fault once and on every attempt. */
import { route53World } from './matrix';
import { faultSuite } from './suite';

faultSuite('route53', route53World, 'route53:ChangeResourceRecordSets');

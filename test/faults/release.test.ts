/**
 * Fault injection on a release (two Lambda aliases and a Route 53 pair): every AWS call of every state,
 * each fault once and on every attempt; never a mixed or split end, never a target left held.
 */
import { releaseWorld } from './matrix';
import { faultSuite } from './suite';

faultSuite('release', releaseWorld, 'lambda:UpdateAlias', {
  states: [],
  ops: ['SetWeight route53:ChangeResourceRecordSets', 'Promote route53:ChangeResourceRecordSets'],
  planWrite: 'dynamodb:TransactWriteItems',
});

/**
 * Fault injection on ELB weighted target groups: every AWS call of every state, each fault once and on
 * every attempt. Among them a lost ModifyRule response (fledge must recognise its own write on the
 * retry) and a throttled read-back (no success may be reported).
 */
import { elbWorld } from './matrix';
import { faultSuite } from './suite';

faultSuite('elb', elbWorld, 'elasticloadbalancing:ModifyRule');

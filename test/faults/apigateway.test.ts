/** Fault injection on an API Gateway stage canary: every AWS call of every state, each fault once and on every attempt. */
import { apiGatewayWorld } from './matrix';
import { faultSuite } from './suite';

faultSuite('apigateway', apiGatewayWorld, 'apigateway:UpdateStage');

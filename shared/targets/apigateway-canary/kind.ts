/** An API Gateway REST stage whose canary carries a new deployment. Pure. */
import type { TargetKind } from '../kind';
import type { ApiGatewayCanaryTarget } from './schema';

export const apiGatewayCanary: TargetKind<ApiGatewayCanaryTarget> = {
  label: (target) => `stage ${target.stageName} of REST API ${target.restApiId}`,
  key: (target) => `apigateway-canary#${target.restApiId}#${target.stageName}`,
  sideLabel: (id) => `deployment ${id}`,
  transition: (sides) => `deployment ${sides.baseline} → ${sides.canary}`,
  recordLabel: (target, sides) =>
    `${apiGatewayCanary.label(target)} (${sides ? apiGatewayCanary.transition(sides) : `deployment ${target.deploymentId}`})`,
  sides: (target) => ({ canary: target.deploymentId }),
  describeRaw: (raw) =>
    `stage ${raw.stageName} of REST API ${raw.restApiId}${raw.deploymentId ? ` (deployment ${raw.deploymentId})` : ''}`,
  // percentTraffic is a double from 0.0 to 100.0, applied at once.
  stepProblems: () => [],
  fitSteps: (_target, steps) => steps,
  requestsOf: (target) => `stage ${target.stageName}`,
  // No defaults: AWS/ApiGateway's dimensions name the API by its name (ApiName), which the input does not
  // carry, and how the canary's own series is spelled is not documented (docs/APIGATEWAY.md).
  namedMetricsMustBeListed:
    "API Gateway does not document how it names a stage canary's own series, so fledge judges only series " +
    'CloudWatch already lists (aws cloudwatch list-metrics shows them; a series is listed from its first ' +
    'datapoint until two weeks after its last, so a canary series appears once a canary has served traffic), ' +
    'or series you publish yourself per side (docs/APIGATEWAY.md)',
  metricsExample:
    "e.g. AWS/ApiGateway Count and 5XXError with ApiName and Stage '<stage>/Canary' for the canary and Stage '<stage>' for the baseline, as aws cloudwatch list-metrics shows them",
};

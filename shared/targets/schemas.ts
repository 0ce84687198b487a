/**
 * The input schema of every target kind: the branches of the input's `target` union. One of the three
 * registries a kind is listed in (with kinds.ts and routers.ts); they are apart so that only Plan and the
 * CLI bundle zod, and only the functions that move traffic bundle the routers' SDK clients.
 */
import { ApiGatewayCanaryTargetSchema } from './apigateway-canary/schema';
import { ElbWeightedTargetSchema } from './elb-weighted/schema';
import { LambdaAliasTargetSchema } from './lambda-alias/schema';
import { Route53WeightedTargetSchema } from './route53-weighted/schema';

export const TARGET_SCHEMAS = [
  LambdaAliasTargetSchema,
  Route53WeightedTargetSchema,
  ApiGatewayCanaryTargetSchema,
  ElbWeightedTargetSchema,
] as const;

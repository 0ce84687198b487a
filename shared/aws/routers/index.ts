import { InvalidInputError } from '../../core/errors';
import type { TrafficRouter } from '../../core/ports';
import type { Target } from '../../core/schema';
import { LambdaAliasRouter } from './lambda-alias';
import { Route53WeightedRouter } from './route53';

/** Picks the router for a target. An unknown type is an error, never a silent default. */
export function createRouter(target: Target): TrafficRouter {
  switch (target.type) {
    case 'lambda-alias':
      return new LambdaAliasRouter(target);
    case 'route53-weighted':
      return new Route53WeightedRouter(target);
    default:
      throw new InvalidInputError(`target.type '${(target as { type: string }).type}' is not supported`);
  }
}

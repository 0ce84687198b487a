/**
 * The router (the adapter that moves traffic in AWS) of every target kind. Typed over every
 * `Target['type']`, so a kind without a router is a compile error. Apart from kinds.ts so that only the
 * functions that move traffic bundle the routers' SDK clients.
 */
import { InvalidInputError } from '../core/errors';
import type { TrafficContext, TrafficRouter } from '../core/ports';
import type { Target } from '../core/schema';
import { ApiGatewayCanaryRouter } from './apigateway-canary/router';
import { ElbWeightedRouter } from './elb-weighted/router';
import { kindOf } from './kinds';
import { LambdaAliasRouter } from './lambda-alias/router';
import { ReleaseRouter } from './release-router';
import { Route53WeightedRouter } from './route53-weighted/router';

type RouterOf<K extends Target['type']> = (target: Extract<Target, { type: K }>) => TrafficRouter;

const ROUTERS: { readonly [K in Target['type']]: RouterOf<K> } = {
  'apigateway-canary': (target) => new ApiGatewayCanaryRouter(target),
  'lambda-alias': (target) => new LambdaAliasRouter(target),
  'route53-weighted': (target) => new Route53WeightedRouter(target),
  'elb-weighted': (target) => new ElbWeightedRouter(target),
};

/** Picks the router for a target. An unknown type is an error, never a silent default. */
export function createRouter(target: Target): TrafficRouter {
  const type: string = target.type;
  if (!Object.hasOwn(ROUTERS, type)) throw new InvalidInputError(`target.type '${type}' is not supported`);
  return (ROUTERS[target.type] as RouterOf<Target['type']>)(target as never);
}

/** The router of a release: every target's own router, named as a person reads the target. */
export function createReleaseRouter(
  targets: ReadonlyArray<{ target: Target; check?: (context: TrafficContext) => void }>,
): ReleaseRouter {
  return new ReleaseRouter(
    targets.map(({ target, check }) => ({
      label: kindOf(target).label(target),
      router: createRouter(target),
      ...(check ? { check } : {}),
    })),
  );
}

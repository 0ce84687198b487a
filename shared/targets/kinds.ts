/**
 * Every target kind, by its input's `type`. Typed over every `Target['type']`, so a kind missing here
 * is a compile error; a new kind is a folder beside these (schema, kind, router) and a line here, in
 * schemas.ts and in routers.ts. Pure: safe to bundle in any function.
 */
import type { Target } from '../core/schema';
import { apiGatewayCanary } from './apigateway-canary/kind';
import { elbWeighted } from './elb-weighted/kind';
import type { TargetKind } from './kind';
import { lambdaAlias } from './lambda-alias/kind';
import { route53Weighted } from './route53-weighted/kind';

type KindOf<K extends Target['type']> = TargetKind<Extract<Target, { type: K }>>;

const KINDS: { readonly [K in Target['type']]: KindOf<K> } = {
  'apigateway-canary': apiGatewayCanary,
  'lambda-alias': lambdaAlias,
  'route53-weighted': route53Weighted,
  'elb-weighted': elbWeighted,
};

/** Whether a value names a kind fledge knows (for input not yet validated). */
export function isTargetType(type: unknown): type is Target['type'] {
  return typeof type === 'string' && Object.hasOwn(KINDS, type);
}

/**
 * The kind of a target. A type fledge does not know (a record written by a newer fledge, say) is an
 * error, never another kind's path.
 */
export function kindOf<T extends Target>(target: T): TargetKind<T> {
  if (!isTargetType(target.type)) throw new Error(`target.type '${String(target.type)}' is not supported`);
  // TypeScript cannot correlate the key with the mapped value's type; the mapped type above checks it.
  return KINDS[target.type] as unknown as TargetKind<T>;
}

/** A target as the input gives it before validation, for a message; undefined for an unknown type. */
export function describeRawTarget(raw: Record<string, unknown>): string | undefined {
  return isTargetType(raw.type) ? KINDS[raw.type].describeRaw(raw) : undefined;
}

import { describe, expect, it } from 'vitest';
import { describeInputTarget } from '../../cli/shared/input';
import type { Target } from '../../shared/core/schema';
import { TargetSchema } from '../../shared/core/schema';
import { describeRawTarget, isTargetType, kindOf } from '../../shared/targets/kinds';
import { createRouter } from '../../shared/targets/routers';
import { TARGET_SCHEMAS } from '../../shared/targets/schemas';

const alias: Target = { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '7' };
const records = TargetSchema.parse({
  type: 'route53-weighted',
  hostedZoneId: '/hostedzone/Z123',
  recordName: 'App.Example.com.',
  recordType: 'A',
  stable: 'blue',
  canary: 'green',
});

describe('the target kinds registry', () => {
  it('knows every kind the input schema accepts, each with a router', () => {
    const types = TARGET_SCHEMAS.map((schema) => schema.shape.type.def.values[0]);
    for (const type of types) expect(isTargetType(type)).toBe(true);
    expect(() => createRouter(alias)).not.toThrow();
    expect(() => createRouter(records)).not.toThrow();
  });

  it('names, keys and describes each kind through its own module', () => {
    expect(kindOf(alias).recordLabel(alias, { baseline: '6', canary: '7' })).toBe(
      'alias checkout:live (version 6 → 7)',
    );
    expect(kindOf(records).key(records)).toBe('route53-weighted#Z123#app.example.com#A');
    expect(kindOf(records).recordLabel(records)).toBe("records App.Example.com A (Z123) ('blue' → 'green')");
    expect(kindOf(records).sides(records)).toEqual({ canary: 'green', baseline: 'blue' });
    expect(kindOf(alias).sides(alias)).toEqual({ canary: '7' });
  });

  it('refuses a type it does not know instead of sending it down another kind’s path', () => {
    const unknown = { type: 'elb-something', listenerArn: 'x' } as unknown as Target;
    expect(isTargetType('elb-something')).toBe(false);
    expect(() => kindOf(unknown)).toThrow("target.type 'elb-something' is not supported");
    expect(() => createRouter(unknown)).toThrow("target.type 'elb-something' is not supported");
    expect(describeRawTarget({ type: 'elb-something' })).toBeUndefined();
    expect(describeInputTarget({ target: { type: 'elb-something' } })).toBe('the target in the input');
    // Object.prototype's keys are not kinds either.
    expect(isTargetType('toString')).toBe(false);
  });
});

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

const P = 'arn:aws:elasticloadbalancing:us-east-1:123456789012';
const balancer = TargetSchema.parse({
  type: 'elb-weighted',
  listenerArn: `${P}:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2`,
  ruleArn: `${P}:listener-rule/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`,
  stable: `${P}:targetgroup/blue/73e2d6bc24d8a067`,
  canary: `${P}:targetgroup/green/2453ed029918f21f`,
});

describe('the target kinds registry', () => {
  it('knows every kind the input schema accepts, each with a router', () => {
    const types = TARGET_SCHEMAS.map((schema) => schema.shape.type.def.values[0]);
    for (const type of types) expect(isTargetType(type)).toBe(true);
    expect(() => createRouter(alias)).not.toThrow();
    expect(() => createRouter(records)).not.toThrow();
    expect(() => createRouter(balancer)).not.toThrow();
  });

  it('names, keys and describes each kind through its own module', () => {
    expect(kindOf(alias).recordLabel(alias, { baseline: '6', canary: '7' })).toBe(
      'alias checkout:live (version 6 → 7)',
    );
    expect(kindOf(records).key(records)).toBe('route53-weighted#Z123#app.example.com#A');
    expect(kindOf(records).recordLabel(records)).toBe("records App.Example.com A (Z123) ('blue' → 'green')");
    expect(kindOf(records).sides(records)).toEqual({ canary: 'green', baseline: 'blue' });
    expect(kindOf(alias).sides(alias)).toEqual({ canary: '7' });
    expect(kindOf(balancer).recordLabel(balancer)).toBe(
      "load balancer shop listener f2f7dc8efc522ab2 rule 9683b2d02a6cabee ('blue' → 'green')",
    );
    expect(kindOf(balancer).key(balancer)).toBe(
      `elb-weighted#app/shop/50dc6c495c0c9188#${P}:listener-rule/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`,
    );
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

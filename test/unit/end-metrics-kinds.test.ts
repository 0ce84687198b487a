/** The dashboard's `Target` dimension for the newer kinds: one readable series per target. */
import { describe, expect, it } from 'vitest';
import type { Target } from '../../shared/core/schema';
import { endWeightLine } from '../../shared/lambda/end-metrics';

const at = new Date('2026-12-04T10:00:30Z');
const line = (target: Target) =>
  JSON.parse(
    endWeightLine({ target, weight: 0, executionId: 'run-1', outcome: 'rolled-back' }, at, 'fledge'),
  );

describe('the end weight line of the newer kinds', () => {
  it('names an ELB rule by its load balancer, listener and rule', () => {
    const target = {
      type: 'elb-weighted',
      listenerArn:
        'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2',
      ruleArn:
        'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee',
      stable: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/73e2d6bc24d8a067',
      canary: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/2453ed029918f21f',
    } as Target;

    expect(line(target)).toMatchObject({
      Target: 'shop listener f2f7dc8efc522ab2 rule 9683b2d02a6cabee',
      CanaryWeight: 0,
    });
  });

  it('names an API Gateway stage by its stage and REST API', () => {
    const target = {
      type: 'apigateway-canary',
      restApiId: 'a1b2c3d4e5',
      stageName: 'prod',
      deploymentId: 'k7x9q2',
    } as Target;

    expect(line(target)).toMatchObject({ Target: 'stage prod of REST API a1b2c3d4e5', CanaryWeight: 0 });
  });
});

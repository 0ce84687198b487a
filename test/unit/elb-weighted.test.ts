/**
 * The ELB weighted target group router against a mocked SDK: the exact action lists fledge writes back,
 * conflicts found by reading before each write, read-back until live, and Plan's refusals.
 */
import {
  type Action,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
  RuleNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { TargetSchema } from '../../shared/core/schema';
import { elbWeighted } from '../../shared/targets/elb-weighted/kind';
import { ElbWeightedRouter } from '../../shared/targets/elb-weighted/router';
import type { ElbWeightedTarget } from '../../shared/targets/elb-weighted/schema';
import { closestWeights, MAX_WEIGHT, shareOf } from '../../shared/targets/elb-weighted/shares';

const elb = mockClient(ElasticLoadBalancingV2Client);

const PREFIX = 'arn:aws:elasticloadbalancing:us-east-1:123456789012';
const LISTENER = `${PREFIX}:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2`;
const RULE = `${PREFIX}:listener-rule/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`;
const BLUE = `${PREFIX}:targetgroup/blue/73e2d6bc24d8a067`;
const GREEN = `${PREFIX}:targetgroup/green/2453ed029918f21f`;
const OTHER = `${PREFIX}:targetgroup/legacy/0123456789abcdef`;

const target = (overrides: Partial<ElbWeightedTarget> = {}): ElbWeightedTarget => ({
  type: 'elb-weighted',
  listenerArn: LISTENER,
  ruleArn: RULE,
  stable: BLUE,
  canary: GREEN,
  ...overrides,
});

const forward = (
  groups: Array<[string, number]>,
  sticky?: { Enabled: boolean; DurationSeconds: number },
): Action => ({
  Type: 'forward',
  Order: 2,
  ForwardConfig: {
    TargetGroups: groups.map(([TargetGroupArn, Weight]) => ({ TargetGroupArn, Weight })),
    ...(sticky ? { TargetGroupStickinessConfig: sticky } : {}),
  },
});

const OIDC: Action = {
  Type: 'authenticate-oidc',
  Order: 1,
  AuthenticateOidcConfig: {
    Issuer: 'https://idp.example.com',
    AuthorizationEndpoint: 'https://idp.example.com/auth',
    TokenEndpoint: 'https://idp.example.com/token',
    UserInfoEndpoint: 'https://idp.example.com/userinfo',
    ClientId: 'shop',
  },
};

/**
 * A rule whose actions change as the mocked ModifyRule calls say; every call is recorded. `lag` reads
 * after a write still show the old actions (ELB's eventual consistency).
 */
function rule(initial: Action[], options: { lag?: number; healthy?: boolean } = {}) {
  let actions = structuredClone(initial);
  let stale: Action[] | undefined;
  let lagLeft = 0;
  const writes: Action[][] = [];
  elb.on(DescribeRulesCommand).callsFake(async () => {
    if (stale && lagLeft > 0) {
      lagLeft -= 1;
      return { Rules: [{ RuleArn: RULE, Actions: structuredClone(stale) }] };
    }
    return { Rules: [{ RuleArn: RULE, Actions: structuredClone(actions) }] };
  });
  elb.on(ModifyRuleCommand).callsFake(async (input: { Actions: Action[] }) => {
    writes.push(structuredClone(input.Actions));
    stale = actions;
    lagLeft = options.lag ?? 0;
    actions = structuredClone(input.Actions);
    return { Rules: [{ RuleArn: RULE, Actions: actions }] };
  });
  elb.on(DescribeTargetHealthCommand).resolves({
    TargetHealthDescriptions: [
      { Target: { Id: 'i-1' }, TargetHealth: { State: options.healthy === false ? 'unhealthy' : 'healthy' } },
    ],
  });
  return {
    writes,
    weights: () =>
      Object.fromEntries(
        (actions.find((a) => a.Type === 'forward')?.ForwardConfig?.TargetGroups ?? []).map((g) => [
          g.TargetGroupArn,
          g.Weight,
        ]),
      ),
    set: (next: Action[]) => {
      actions = structuredClone(next);
    },
  };
}

const router = (t = target()) => new ElbWeightedRouter(t, elb as never, { sleep: async () => {} });

beforeEach(() => elb.reset());

describe('ElbWeightedRouter', () => {
  it('writes the two weights back into the whole action list, keeping every other action, group and the stickiness as read', async () => {
    // Prepare
    const sticky = { Enabled: true, DurationSeconds: 3600 };
    const state = rule([
      OIDC,
      forward(
        [
          [BLUE, 1],
          [GREEN, 0],
          [OTHER, 0],
        ],
        sticky,
      ),
    ]);
    const r = router();
    // Act
    const context = await r.prepare();
    const applied = await r.setWeight(12.5, context);
    // Assess
    expect(applied.weight).toBe(12.5);
    expect(state.weights()).toEqual({ [BLUE]: 7, [GREEN]: 1, [OTHER]: 0 });
    const written = state.writes[0] ?? [];
    expect(written.map((a) => a.Type)).toEqual(['authenticate-oidc', 'forward']);
    expect(written[0]?.AuthenticateOidcConfig).toEqual({
      ...OIDC.AuthenticateOidcConfig,
      UseExistingClientSecret: true,
    });
    expect(written[1]?.ForwardConfig?.TargetGroupStickinessConfig).toEqual(sticky);
    expect(written[1]?.Order).toBe(2);
    expect(context.note).toMatch(/stickiness is on \(3600 s\): weights apply to new sessions only/);
    // The forecast counts each step's share from the stickiness duration on.
    expect(context.shareLagSeconds).toBe(3600);
  });

  it('writes a listener’s default actions with ModifyListener when no rule is named', async () => {
    let actions = [
      forward([
        [BLUE, 1],
        [GREEN, 0],
      ]),
    ];
    elb
      .on(DescribeListenersCommand)
      .callsFake(async () => ({ Listeners: [{ DefaultActions: structuredClone(actions) }] }));
    elb.on(ModifyListenerCommand).callsFake(async (input: { DefaultActions: Action[] }) => {
      actions = structuredClone(input.DefaultActions);
      return {};
    });
    elb
      .on(DescribeTargetHealthCommand)
      .resolves({ TargetHealthDescriptions: [{ TargetHealth: { State: 'healthy' } }] });
    const r = router(target({ ruleArn: undefined }));
    const applied = await r.setWeight(10, await r.prepare());
    expect(applied.weight).toBe(10);
    expect(actions[0]?.ForwardConfig?.TargetGroups).toEqual([
      { TargetGroupArn: BLUE, Weight: 9 },
      { TargetGroupArn: GREEN, Weight: 1 },
    ]);
    expect(elb.commandCalls(ModifyRuleCommand)).toHaveLength(0);
  });

  it('recognises its own landed write on a retry (a lost ModifyRule response) instead of calling it a conflict', async () => {
    const state = rule([
      forward([
        [BLUE, 1],
        [GREEN, 0],
      ]),
    ]);
    const r = router();
    const context = await r.prepare();
    await r.setWeight(25, context);
    // The response was lost: the state machine retries with the context from before the write.
    const retried = await r.setWeight(25, context);
    expect(retried.weight).toBe(25);
    expect(retried.detail).toMatch(/already applied/);
    expect(state.writes).toHaveLength(1);
  });

  it('stops without writing when someone changed the weights since fledge last wrote them', async () => {
    const state = rule([
      forward([
        [BLUE, 1],
        [GREEN, 0],
      ]),
    ]);
    const r = router();
    const context = await r.prepare();
    const first = await r.setWeight(10, context);
    state.set([
      forward([
        [BLUE, 1],
        [GREEN, 1],
      ]),
    ]);
    await expect(
      r.setWeight(25, { ...context, weight: first.weight, revision: first.revision }),
    ).rejects.toMatchObject({
      name: 'TrafficConflictError',
      message: expect.stringMatching(/changed by someone else.*blue=1, green=1 \(50% canary\)/),
    });
    expect(state.writes).toHaveLength(1);
  });

  it('reads back until the weights are live, and reports only what the read shows', async () => {
    const state = rule(
      [
        forward([
          [BLUE, 1],
          [GREEN, 0],
        ]),
      ],
      { lag: 2 },
    );
    const r = router();
    const applied = await r.setWeight(50, await r.prepare());
    expect(applied.weight).toBe(50);
    expect(state.weights()).toEqual({ [BLUE]: 1, [GREEN]: 1 });
    // prepare's read, setWeight's read, two stale reads, the live one
    expect(elb.commandCalls(DescribeRulesCommand)).toHaveLength(5);
  });

  it('never reports a weight the read-back does not show: a write that stays invisible is a WeightVerificationError', async () => {
    rule(
      [
        forward([
          [BLUE, 1],
          [GREEN, 0],
        ]),
      ],
      { lag: 100 },
    );
    const r = router();
    await expect(r.setWeight(50, await r.prepare())).rejects.toMatchObject({
      name: 'WeightVerificationError',
      message: expect.stringMatching(/still reads blue=1, green=0/),
    });
  });

  it('gives a throttled read-back to the state machine as transient, reporting no success, and the retry finds its write', async () => {
    const state = rule([
      forward([
        [BLUE, 1],
        [GREEN, 0],
      ]),
    ]);
    const r = router();
    const context = await r.prepare();
    elb.on(ModifyRuleCommand).callsFake(async (input: { Actions: Action[] }) => {
      state.set(input.Actions);
      state.writes.push(input.Actions);
      elb.on(DescribeRulesCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
      return {};
    });
    await expect(r.setWeight(20, context)).rejects.toMatchObject({ name: 'TransientAwsError' });
    // The throttling ends; the retry reads the write that had landed.
    elb.on(DescribeRulesCommand).callsFake(async () => ({
      Rules: [
        {
          Actions: [
            forward([
              [BLUE, 4],
              [GREEN, 1],
            ]),
          ],
        },
      ],
    }));
    const retried = await r.setWeight(20, context);
    expect(retried).toMatchObject({ weight: 20, detail: expect.stringMatching(/already applied/) });
    expect(state.writes).toHaveLength(1);
  });

  it('promotes to the canary at the stable group’s weight, and rolls back to the weights as first read', async () => {
    const state = rule([
      forward([
        [BLUE, 3],
        [GREEN, 0],
      ]),
    ]);
    const r = router();
    const context = await r.prepare();
    const step = await r.setWeight(10, context);
    const promoted = await r.promote({ ...context, revision: step.revision });
    expect(promoted.weight).toBe(100);
    expect(state.weights()).toEqual({ [BLUE]: 0, [GREEN]: 3 });
    const rolledBack = await r.rollback({ ...context, revision: promoted.revision });
    expect(rolledBack.weight).toBe(0);
    expect(state.weights()).toEqual({ [BLUE]: 3, [GREEN]: 0 });
  });

  it('rolls back a split someone else moved too, but not over target groups someone added', async () => {
    const state = rule([
      forward([
        [BLUE, 1],
        [GREEN, 0],
      ]),
    ]);
    const r = router();
    const context = await r.prepare();
    state.set([
      forward([
        [BLUE, 1],
        [GREEN, 5],
      ]),
    ]);
    await r.rollback(context);
    expect(state.weights()).toEqual({ [BLUE]: 1, [GREEN]: 0 });
    state.set([
      forward([
        [BLUE, 1],
        [GREEN, 5],
        [OTHER, 2],
      ]),
    ]);
    await expect(r.rollback(context)).rejects.toMatchObject({ name: 'TrafficConflictError' });
    expect(state.weights()).toEqual({ [BLUE]: 1, [GREEN]: 5, [OTHER]: 2 });
  });

  it('inspects a live split for recovery without a record, and says when it is ambiguous', async () => {
    const state = rule([
      forward([
        [BLUE, 9],
        [GREEN, 1],
      ]),
    ]);
    const live = await router().inspect();
    expect(live).toMatchObject({
      split: true,
      context: { weight: 10, snapshot: { weights: { [BLUE]: 9, [GREEN]: 0 } } },
    });
    state.set([
      forward([
        [BLUE, 9],
        [GREEN, 1],
        [OTHER, 1],
      ]),
    ]);
    expect(await router().inspect()).toMatchObject({
      split: true,
      ambiguity: expect.stringMatching(/other target groups/),
    });
    expect((await router().inspect()).context).toBeUndefined();
  });

  describe('Plan refuses, naming the field, and writes nothing', () => {
    const refuses = async (actions: Action[], message: RegExp, options: { healthy?: boolean } = {}) => {
      const state = rule(actions, options);
      await expect(router().prepare()).rejects.toMatchObject({
        name: 'InvalidInputError',
        message: expect.stringMatching(message),
      });
      expect(state.writes).toHaveLength(0);
    };

    it('a canary target group not in the forward action', () =>
      refuses(
        [
          forward([
            [BLUE, 1],
            [OTHER, 0],
          ]),
        ],
        /^target\.canary: target group 'green' is not in the forward action/,
      ));

    it('a canary target group with no healthy target', () =>
      refuses(
        [
          forward([
            [BLUE, 1],
            [GREEN, 0],
          ]),
        ],
        /^target\.canary: target group 'green' has no healthy target \(unhealthy\)/,
        { healthy: false },
      ));

    it('more than five target groups', () =>
      refuses(
        [
          forward([
            [BLUE, 1],
            [GREEN, 0],
            [OTHER, 0],
            [`${OTHER}1`, 0],
            [`${OTHER}2`, 0],
            [`${OTHER}3`, 0],
          ]),
        ],
        /^target\.ruleArn: the forward action has 6 target groups; ELB allows at most 5/,
      ));

    it('an action fledge cannot write back unchanged', () =>
      refuses(
        [
          { Type: 'jwt-validation', Order: 1 } as never,
          forward([
            [BLUE, 1],
            [GREEN, 0],
          ]),
        ],
        /^target\.ruleArn: .*cannot write back unchanged \(jwt-validation\)/,
      ));

    it('a canary that already takes traffic, or another group with a weight', async () => {
      await refuses(
        [
          forward([
            [BLUE, 1],
            [GREEN, 1],
          ]),
        ],
        /^target\.canary: .*already takes 50%/,
      );
      await refuses(
        [
          forward([
            [BLUE, 1],
            [GREEN, 0],
            [OTHER, 1],
          ]),
        ],
        /also sends traffic to 'legacy' \(weight 1\)/,
      );
    });

    it('a rule that does not exist', async () => {
      elb
        .on(DescribeRulesCommand)
        .rejects(new RuleNotFoundException({ message: 'One or more rules not found', $metadata: {} }));
      await expect(router().prepare()).rejects.toMatchObject({
        name: 'InvalidInputError',
        message: expect.stringMatching(/^target\.ruleArn:/),
      });
    });
  });
});

describe('the elb-weighted input', () => {
  const parse = (t: Record<string, unknown>) => TargetSchema.safeParse({ ...target(), ...t });
  const issues = (t: Record<string, unknown>) => {
    const result = parse(t);
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('refuses a rule of another listener or load balancer, naming ruleArn', () => {
    expect(
      issues({
        ruleArn: `${PREFIX}:listener-rule/app/other/1111111111111111/f2f7dc8efc522ab2/9683b2d02a6cabee`,
      }),
    ).toEqual([
      expect.stringMatching(/^ruleArn: .*on another load balancer \(app\/other\/1111111111111111\)/),
    ]);
    expect(
      issues({
        ruleArn: `${PREFIX}:listener-rule/app/shop/50dc6c495c0c9188/aaaaaaaaaaaaaaaa/9683b2d02a6cabee`,
      }),
    ).toEqual([expect.stringMatching(/^ruleArn: .*not of target\.listenerArn/)]);
  });

  it('refuses a Network Load Balancer, saying why', () => {
    expect(
      issues({
        listenerArn: `${PREFIX}:listener/net/shop/50dc6c495c0c9188/f2f7dc8efc522ab2`,
        ruleArn: undefined,
      }),
    ).toEqual([
      expect.stringMatching(
        /^listenerArn: .*Network Load Balancer forwards to a single target group.*AWS\/NetworkELB has no request or HTTP error counts/,
      ),
    ]);
  });

  it('refuses the same target group on both sides, and text that is not a target group ARN', () => {
    expect(issues({ canary: BLUE })).toEqual(['canary: stable and canary must be different target groups']);
    expect(issues({ stable: 'blue' })).toEqual([
      expect.stringMatching(/^stable: 'blue' is not a target group ARN/),
    ]);
  });

  it('is judged on each target group’s AWS/ApplicationELB metrics, spelled as CloudWatch spells the dimensions', () => {
    const arms = elbWeighted.defaultMetrics?.arms(target(), { baseline: BLUE, canary: GREEN });
    expect(arms?.counts.canary).toEqual({
      requests: {
        namespace: 'AWS/ApplicationELB',
        metricName: 'RequestCount',
        dimensions: {
          TargetGroup: 'targetgroup/green/2453ed029918f21f',
          LoadBalancer: 'app/shop/50dc6c495c0c9188',
        },
      },
      errors: expect.objectContaining({ metricName: 'HTTPCode_Target_5XX_Count' }),
    });
    expect(arms?.latency.baseline).toMatchObject({
      metricName: 'TargetResponseTime',
      dimensions: { TargetGroup: 'targetgroup/blue/73e2d6bc24d8a067' },
    });
    expect(elbWeighted.defaultMetrics?.errorsPublishedOnlyWhenNonZero).toBe(true);
  });

  it('refuses steps below ELB’s smallest share, 0.1%', () => {
    expect(
      elbWeighted.stepProblems(target(), [
        { weight: 0.05, bakeSeconds: 60 },
        { weight: 0.1, bakeSeconds: 60 },
      ]),
    ).toEqual([
      expect.stringMatching(
        /^strategy\.steps\[0\]\.weight: 0\.05% is below the smallest share ELB can route/,
      ),
    ]);
  });
});

describe('closestWeights (ELB)', () => {
  it('writes 12.5% as 7:1, and common steps exactly', () => {
    expect(closestWeights(12.5)).toEqual({ stable: 7, canary: 1, percent: 12.5 });
    expect(closestWeights(10)).toMatchObject({ stable: 9, canary: 1 });
    expect(closestWeights(50)).toMatchObject({ stable: 1, canary: 1 });
    expect(closestWeights(33.3)).toMatchObject({ stable: 667, canary: 333 });
  });

  it('stays within 0-999, never rounds a share to nothing, and reaches every 0.1% step exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 999 }), (tenths) => {
        const percent = tenths / 10;
        const w = closestWeights(percent);
        expect(w.stable).toBeGreaterThanOrEqual(1);
        expect(w.stable).toBeLessThanOrEqual(MAX_WEIGHT);
        expect(w.canary).toBeGreaterThanOrEqual(1);
        expect(w.canary).toBeLessThanOrEqual(MAX_WEIGHT);
        expect(shareOf(w.canary, w.stable + w.canary)).toBeCloseTo(percent, 9);
      }),
    );
  });
});

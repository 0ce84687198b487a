import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeployInputSchema, deployInputJsonSchema } from '../../shared/core/schema';
import { PREDEFINED_STRATEGIES, resolveStrategy } from '../../shared/core/strategy';

describe('resolveStrategy', () => {
  it.each([
    ['Canary10Percent5Minutes', [{ weight: 10, bakeSeconds: 300 }]],
    ['CodeDeployDefault.LambdaCanary10Percent30Minutes', [{ weight: 10, bakeSeconds: 1800 }]],
    [
      'Linear10PercentEvery3Minutes',
      [10, 20, 30, 40, 50, 60, 70, 80, 90].map((weight) => ({ weight, bakeSeconds: 180 })),
    ],
    ['AllAtOnce', []],
    ['Canary25Percent15Minutes', [{ weight: 25, bakeSeconds: 900 }]],
  ])('turns %s into its steps', (name, steps) => {
    expect(resolveStrategy(name)).toEqual(steps);
  });

  it('knows every CodeDeploy predefined configuration, with and without the prefix', () => {
    for (const name of PREDEFINED_STRATEGIES) {
      expect(() => resolveStrategy(name)).not.toThrow();
      expect(resolveStrategy(`CodeDeployDefault.Lambda${name}`)).toEqual(resolveStrategy(name));
    }
  });

  it('keeps custom steps, in seconds', () => {
    expect(
      resolveStrategy({
        steps: [
          { weight: 5, bakeMinutes: 2 },
          { weight: 25, bakeMinutes: 0.5 },
        ],
      }),
    ).toEqual([
      { weight: 5, bakeSeconds: 120 },
      { weight: 25, bakeSeconds: 30 },
    ]);
  });

  it.each([
    ['an unknown name', 'Canary10Percent', /not known; use one of Canary10Percent5Minutes/],
    [
      'a singular Minute for 5 minutes',
      'Canary10Percent5Minute',
      /strategy 'Canary10Percent5Minute' is not known; did you mean 'Canary10Percent5Minutes'\?/,
    ],
    [
      'a plural Minutes for 1 minute',
      'CodeDeployDefault.LambdaLinear10PercentEvery1Minutes',
      /did you mean 'Linear10PercentEvery1Minute'\?/,
    ],
    ['a leading zero', 'Canary010Percent5Minutes', /did you mean 'Canary10Percent5Minutes'\?/],
    [
      'falling weights',
      {
        steps: [
          { weight: 20, bakeMinutes: 1 },
          { weight: 10, bakeMinutes: 1 },
        ],
      },
      /steps\[1\].weight is 10/,
    ],
    ['a step at 100', { steps: [{ weight: 100, bakeMinutes: 1 }] }, /stay below 100/],
  ])('refuses %s with a message naming the value', (_name, strategy, message) => {
    expect(() => resolveStrategy(strategy)).toThrow(message);
  });

  it('gives weights in (0, 100) that only rise, for any valid custom list', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 99 }), { minLength: 1, maxLength: 20 }),
        (weights) => {
          const sorted = [...weights].sort((a, b) => a - b);
          const steps = resolveStrategy({ steps: sorted.map((weight) => ({ weight, bakeMinutes: 1 })) });
          steps.forEach((s, i) => {
            expect(s.weight).toBeGreaterThan(0);
            expect(s.weight).toBeLessThan(100);
            if (i > 0) expect(s.weight).toBeGreaterThan(steps[i - 1]?.weight ?? 0);
          });
        },
      ),
    );
  });
});

describe('DeployInputSchema', () => {
  it('accepts the console example and fills the defaults', () => {
    const input = DeployInputSchema.parse({
      target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '7' },
      strategy: 'Linear10PercentEvery1Minute',
      analysis: {},
    });

    expect(input.analysis).toMatchObject({
      alpha: 0.01,
      beta: 0.01,
      maxRegression: { ratio: 4, floor: 0.005 },
      tolerance: 0,
      minInvocations: 50,
      checkIntervalMinutes: 1,
      allAtOnceBakeMinutes: 5,
    });
    // maxExtraMinutes is Plan's to fix from the stable version's last hour, and metricLagMinutes from the
    // target's longest request (test/unit/plan.test.ts).
    expect(input.analysis.insufficientData).toEqual({ action: 'rollback' });
    expect(input.analysis).not.toHaveProperty('metricLagMinutes');
  });

  it('accepts the Route 53 analysis shape as the issue writes it', () => {
    const side = (name: string) => ({
      namespace: 'MyApp',
      metricName: name,
      stable: { Side: 'stable' },
      canary: { Side: 'canary' },
    });
    const parsed = DeployInputSchema.safeParse({
      target: {
        type: 'route53-weighted',
        hostedZoneId: 'Z0123456789ABC',
        recordName: 'app.example.com',
        recordType: 'A',
        stable: 'primary',
        canary: 'canary',
      },
      analysis: { requests: side('Requests'), errors: side('Errors') },
    });

    expect(parsed.success).toBe(true);
  });

  it.each([
    ['an unknown field', { stratgey: 'AllAtOnce' }, /Unrecognized key/],
    ['$LATEST', { target: { version: '$LATEST' } }, /target.version/],
    ['an error rate as a percentage', { analysis: { maxErrorRate: 5 } }, /analysis.maxErrorRate/],
    [
      'requests without errors',
      { analysis: { requests: { namespace: 'A', metricName: 'B', stable: {}, canary: {} } } },
      /set both or neither/,
    ],
    [
      'the removed minExpectedErrors, naming what replaced it',
      { analysis: { minExpectedErrors: 5 } },
      /analysis.minExpectedErrors: was replaced by analysis.maxRegression.*Remove minExpectedErrors/,
    ],
    [
      'a weight finer than the 0.001% a rollout records',
      { strategy: { steps: [{ weight: 33.3333, bakeMinutes: 5 }] } },
      /strategy.steps.0.weight: 33.3333 has more than 3 decimals.*Use e.g. 33.333/,
    ],
    [
      'a tiny weight that would be recorded as 0',
      { strategy: { steps: [{ weight: 0.0004, bakeMinutes: 5 }] } },
      /strategy.steps.0.weight: 0.0004 has more than 3 decimals.*Use e.g. 0.001/,
    ],
    [
      'a maxRegression inside the tolerance',
      { analysis: { tolerance: 0.5, maxRegression: { ratio: 1.4 } } },
      /analysis.maxRegression.ratio: must be above 1 \+ analysis.tolerance/,
    ],
  ])('refuses %s', (_name, change, message) => {
    const base = { target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '7' } };
    const input = {
      ...base,
      ...change,
      target: { ...base.target, ...(change as { target?: object }).target },
    };

    const parsed = DeployInputSchema.safeParse(input);

    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n')).toMatch(message);
  });

  it.each([
    ['examples/release.json', true],
    ['a release of one target', false],
    ['a release with a target that has no type', false],
    ['a rollout of one target', true],
  ])('the published JSON Schema takes %s: %s', (which, valid) => {
    const release = JSON.parse(readFileSync(new URL('../../examples/release.json', import.meta.url), 'utf8'));
    const inputs: Record<string, unknown> = {
      'examples/release.json': release,
      'a release of one target': { ...release, targets: release.targets.slice(0, 1) },
      'a release with a target that has no type': {
        ...release,
        targets: [...release.targets.slice(0, 1), { functionName: 'cart', alias: 'live', version: '12' }],
      },
      'a rollout of one target': {
        target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '7' },
      },
    };
    // As a consumer of docs/schema reads it: a draft 2020-12 validator of its own, not fledge's zod.
    const published = JSON.parse(
      readFileSync(new URL('../../docs/schema/deploy-input.schema.json', import.meta.url), 'utf8'),
    );
    const validate = new Ajv2020({ strict: false }).compile(published);

    expect(validate(inputs[which]), JSON.stringify(validate.errors)).toBe(valid);
  });

  it('publishes the JSON Schema that `npm run schema` generates', () => {
    const committed = readFileSync(
      new URL('../../docs/schema/deploy-input.schema.json', import.meta.url),
      'utf8',
    );

    expect(committed).toBe(`${JSON.stringify(deployInputJsonSchema(), null, 2)}\n`);
  });
});

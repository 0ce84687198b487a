import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateReleaseInput } from '../../shared/steps/validate';

const alias = (functionName: string, version = '2') => ({
  type: 'lambda-alias',
  functionName,
  alias: 'live',
  version,
});
const dns = {
  type: 'route53-weighted',
  hostedZoneId: 'Z1',
  recordName: 'app.example.com',
  recordType: 'A',
  stable: 'blue',
  canary: 'green',
};
const side = (metricName: string) => ({
  namespace: 'MyApp',
  metricName,
  stable: { Side: 'stable' },
  canary: { Side: 'canary' },
});

describe('validateReleaseInput', () => {
  it('takes 2-20 targets of any mix of kinds, each judged as its own rollout with the release schedule', () => {
    const valid = validateReleaseInput({
      release: 'shop-1',
      targets: [
        alias('checkout'),
        alias('cart'),
        { target: dns, analysis: { requests: side('Requests'), errors: side('Errors') } },
      ],
      strategy: 'Linear10PercentEvery1Minute',
    });

    expect(valid.members.map((m) => m.input.target.type)).toEqual([
      'lambda-alias',
      'lambda-alias',
      'route53-weighted',
    ]);
    expect(valid.members[2]?.input.analysis.requests?.metricName).toBe('Requests');
    expect(valid.members[0]?.input.analysis.requests).toBeUndefined();
    expect(valid.members.every((m) => m.steps.length === 9)).toBe(true);
    expect(valid.input.release).toBe('shop-1');
  });

  it('accepts the example release input', () => {
    const example = JSON.parse(readFileSync(new URL('../../examples/release.json', import.meta.url), 'utf8'));
    expect(validateReleaseInput(example).members).toHaveLength(4);
  });

  it('refuses fewer than 2 or more than 20 targets, naming the field', () => {
    expect(() => validateReleaseInput({ targets: [alias('a')] })).toThrow(/targets: .*>=2/);
    const many = Array.from({ length: 21 }, (_, i) => alias(`fn-${i}`));
    expect(() => validateReleaseInput({ targets: many })).toThrow(/targets: .*<=20/);
  });

  it('refuses the Adaptive ramp for a release, in either form, naming the field', () => {
    for (const strategy of ['Adaptive', { adaptive: { initialWeight: 10 } }]) {
      expect(() => validateReleaseInput({ targets: [alias('a'), alias('b')], strategy })).toThrow(
        /^invalid release input: strategy: the Adaptive ramp cannot run a release yet/,
      );
    }
  });

  it('refuses a target named twice, and a bad release name', () => {
    expect(() => validateReleaseInput({ targets: [alias('a', '2'), alias('b'), alias('a', '3')] })).toThrow(
      /targets\[2\]: alias a:live.* is targets\[0\] again/,
    );
    expect(() => validateReleaseInput({ release: 'no spaces', targets: [alias('a'), alias('b')] })).toThrow(
      /release: must be 1-64 letters/,
    );
  });

  it('names the target whose own checks fail: a Route 53 pair without metrics, and release-wide custom metrics', () => {
    expect(() => validateReleaseInput({ targets: [alias('a'), dns] })).toThrow(
      /invalid release input: targets\[1\] \(records app.example.com A \(Z1\).*\): analysis.requests and analysis.errors are required/,
    );
    expect(() =>
      validateReleaseInput({
        targets: [alias('a'), alias('b')],
        analysis: { requests: side('Requests'), errors: side('Errors') },
      }),
    ).toThrow(/analysis.requests: names one target's dimensions.*give it per target instead/);
  });
});

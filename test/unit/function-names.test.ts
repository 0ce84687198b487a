import { describe, expect, it } from 'vitest';
import { functionNameOf, matchesPattern } from '../../shared/core/function-names';

describe('function names', () => {
  it.each([
    ['fledge-hook-smoke', 'fledge-hook-smoke'],
    ['fledge-hook-smoke:live', 'fledge-hook-smoke'],
    ['arn:aws:lambda:eu-west-1:123456789012:function:fledge-hook-smoke', 'fledge-hook-smoke'],
    ['arn:aws:lambda:eu-west-1:123456789012:function:fledge-hook-smoke:7', 'fledge-hook-smoke'],
  ])('reads the function name of %s', (reference, name) => {
    expect(functionNameOf(reference)).toBe(name);
  });

  it.each([
    ['fledge-hook-*', 'fledge-hook-smoke', true],
    ['fledge-hook-*', 'fledge-hook-', true],
    ['fledge-hook-*', 'checkout-smoke', false],
    ['fledge-hook-*', 'xfledge-hook-smoke', false],
    ['*', 'anything', true],
    ['hook-?', 'hook-a', true],
    ['hook-?', 'hook-ab', false],
    ['my.hook', 'myxhook', false],
  ])('matches %s against %s as IAM does: %s', (pattern, name, matches) => {
    expect(matchesPattern(pattern, name)).toBe(matches);
  });
});

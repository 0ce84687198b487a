/**
 * Plan against 10,000 generated inputs: valid ones with one field replaced, removed or joined by an
 * unknown one, and arbitrary JSON. Every refusal is an InvalidInputError that names a field, and no
 * refused input writes anything: no traffic moved, no target held, no event claimed, nothing announced.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fieldPath } from '../../shared/core/schema';
import { plan } from '../../shared/steps/plan';
import { FakeMetrics, FakeRouter, fakeDeps } from '../support/fakes';

const metric = (name: string) => ({
  namespace: 'App',
  metricName: name,
  stable: { Side: 'stable' },
  canary: { Side: 'canary' },
});

const BASES: Array<Record<string, unknown>> = [
  {
    target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
    strategy: 'Linear10PercentEvery1Minute',
    analysis: {
      alarms: ['checkout-errors'],
      alpha: 0.01,
      tolerance: 0,
      checkIntervalMinutes: 1,
      metricLagMinutes: 2,
      minInvocations: 50,
      insufficientData: { action: 'rollback', maxExtraMinutes: 15 },
    },
    hooks: { beforeAllowTraffic: 'fledge-hook-smoke' },
  },
  {
    target: {
      type: 'route53-weighted',
      hostedZoneId: 'Z123',
      recordName: 'app.example.com',
      recordType: 'A',
      stable: 'primary',
      canary: 'canary',
      canaryValue: ['192.0.2.20'],
    },
    strategy: {
      steps: [
        { weight: 10, bakeMinutes: 2 },
        { weight: 50, bakeMinutes: 2 },
      ],
    },
    analysis: { requests: metric('Requests'), errors: metric('Errors'), healthChecks: ['hc-1'] },
  },
];

/** Every path to a value in an object, e.g. ['strategy', 'steps', 0, 'weight']. */
function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => paths(v, [...prefix, k]))];
}

function mutate(
  base: unknown,
  path: Array<string | number>,
  change: { kind: string; value?: unknown },
): unknown {
  const copy = structuredClone(base) as Record<string | number, unknown>;
  if (path.length === 0) return change.kind === 'set' ? change.value : copy;
  let parent: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path.at(-1) as string | number;
  if (change.kind === 'set') parent[last] = change.value;
  if (change.kind === 'delete') delete parent[last];
  if (change.kind === 'add' && typeof parent[last] === 'object' && parent[last] !== null)
    (parent[last] as Record<string, unknown>).unexpectedField = change.value;
  return copy;
}

function jsonType(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

const NAMES_A_FIELD = /(^|[\s:;(])(\(input\)|(target|strategy|analysis|hooks)\b)|unexpectedField/;

const inputs = fc.oneof(
  {
    weight: 9,
    arbitrary: fc
      .record({
        base: fc.constantFrom(...BASES),
        pick: fc.nat(),
        change: fc.oneof(
          fc.record({ kind: fc.constant('set'), value: fc.jsonValue({ maxDepth: 2 }) }),
          fc.record({ kind: fc.constant('delete') }),
          fc.record({ kind: fc.constant('add'), value: fc.jsonValue({ maxDepth: 1 }) }),
        ),
      })
      .map(({ base, pick, change }) => {
        const all = paths(base);
        const path = all[pick % all.length] ?? [];
        const before = path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)?.[k], base);
        // Where the change breaks the field's own type, the refusal must name that very field.
        const exact =
          path.length > 0 &&
          (change.kind === 'delete' ||
            (change.kind === 'set' && jsonType(change.value) !== jsonType(before)));
        return { input: mutate(base, path, change), path, exact };
      }),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((input) => ({ input, path: [], exact: false })) },
);

describe('plan, fuzzed', () => {
  it('refuses bad input with an InvalidInputError naming a field, and writes nothing', async () => {
    let refused = 0;
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(inputs, async ({ input, path, exact }) => {
        const router = new FakeRouter('2', ['1', '2']);
        const metrics = new FakeMetrics(() => undefined);
        metrics.existingAlarms = ['checkout-errors'];
        const deps = fakeDeps(router, metrics);

        const outcome = await plan(input, deps, {
          executionId: 'arn:aws:states:us-east-1:123456789012:execution:fledge:fuzz',
        }).then(
          () => undefined,
          (error: Error) => error,
        );

        if (outcome === undefined) {
          accepted += 1;
        } else {
          refused += 1;
          expect(outcome.name, outcome.stack).toBe('InvalidInputError');
          expect(outcome.message).toMatch(NAMES_A_FIELD);
          if (exact) expect(outcome.message).toContain(fieldPath(path));
          expect(await deps.records.active()).toEqual([]);
          expect(deps.records.events.size).toBe(0);
          expect(deps.events.published).toEqual([]);
        }
        expect(router.calls).toEqual([]);
      }),
      { numRuns: 10_000, seed: 20261125 },
    );
    // Both outcomes must be well represented, or the property says little.
    expect(refused).toBeGreaterThan(2_000);
    expect(accepted).toBeGreaterThan(500);
  }, 120_000);
});

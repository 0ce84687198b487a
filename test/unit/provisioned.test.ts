/**
 * The pure side of the canary's provisioned concurrency: how much it gets, when the wait gives up, and
 * what it cost.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coldMinuteOf, runsColdBesideWarm, withoutColdLatency } from '../../shared/core/cold-start';
import type { TrafficContext } from '../../shared/core/ports';
import {
  afterProvisionRead,
  describeProvisioned,
  MAX_PROVISION_MINUTES,
  type Provisioned,
  provisionedHours,
} from '../../shared/core/provisioned';
import { DeployInputSchema } from '../../shared/core/schema';
import { canaryProvisioned } from '../../shared/targets/lambda-alias/provisioned';
import type { LambdaAliasTarget } from '../../shared/targets/lambda-alias/schema';

const target = (provisionedConcurrency?: LambdaAliasTarget['provisionedConcurrency']): LambdaAliasTarget => ({
  type: 'lambda-alias',
  functionName: 'checkout',
  alias: 'live',
  version: '7',
  ...(provisionedConcurrency === undefined ? {} : { provisionedConcurrency }),
});
const read = (stable: number, canary = 0): TrafficContext => ({
  baseline: '6',
  canary: '7',
  weight: 0,
  provisioned: { stable, canary },
});
const steps = (...weights: number[]) => weights.map((weight) => ({ weight, bakeSeconds: 60 }));

describe('canaryProvisioned (how much the canary version gets)', () => {
  it("gives the largest step's share of the alias's, rounded up", () => {
    const sized = canaryProvisioned(target(), steps(10, 25, 50), read(30));

    expect(sized.plan).toEqual({
      version: '7',
      count: 15,
      basis: "50% of alias live's 30, the largest step's share",
      status: 'planned',
    });
    expect(canaryProvisioned(target(), steps(1), read(30)).plan?.count).toBe(1);
    expect(canaryProvisioned(target(), steps(34), read(10)).plan?.count).toBe(4);
  });

  it('gives all of it to an all-at-once release, which has no step before promotion', () => {
    expect(canaryProvisioned(target(), [], read(8)).plan?.count).toBe(8);
  });

  it('gives none when the alias has none, unless the input names a number', () => {
    expect(canaryProvisioned(target(), steps(10), read(0))).toEqual({});
    expect(canaryProvisioned(target(), steps(10), { baseline: '6', canary: '7', weight: 0 })).toEqual({});
    expect(canaryProvisioned(target(3), steps(10), read(0)).plan).toMatchObject({
      count: 3,
      basis: 'target.provisionedConcurrency',
    });
  });

  it('gives none when turned off, and says the canary runs on demand beside a warm alias', () => {
    const off = canaryProvisioned(target('off'), steps(10), read(20));

    expect(off.plan).toBeUndefined();
    expect(off.note).toMatch(/on demand beside the alias's 20 provisioned/);
  });

  it('never touches a version that already has its own', () => {
    const own = canaryProvisioned(target(5), steps(10), read(20, 4));

    expect(own.plan).toBeUndefined();
    expect(own.note).toMatch(/version 7 already has 4 provisioned concurrency of its own/);
  });

  it('is at least 1 and never more than the alias has (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.array(fc.integer({ min: 1, max: 99 }), { maxLength: 10 }),
        (stable, weights) => {
          const count = canaryProvisioned(target(), steps(...weights), read(stable)).plan?.count ?? 0;
          expect(count).toBeGreaterThanOrEqual(1);
          expect(count).toBeLessThanOrEqual(stable);
          expect(count).toBeGreaterThanOrEqual((stable * Math.max(0, ...weights)) / 100);
        },
      ),
    );
  });
});

describe('target.provisionedConcurrency (input)', () => {
  const parse = (value: unknown) =>
    DeployInputSchema.safeParse({
      target: { ...target(), provisionedConcurrency: value },
      strategy: 'AllAtOnce',
    });

  it('takes auto, off, or a whole number from 1 to 1000', () => {
    for (const value of ['auto', 'off', 1, 1000]) expect(parse(value).success).toBe(true);
  });

  it('refuses anything else, naming the field', () => {
    for (const value of [0, 2.5, 1001, 'on', -1]) {
      const parsed = parse(value);
      expect(parsed.success).toBe(false);
      expect(JSON.stringify(parsed.error?.issues)).toMatch(/provisionedConcurrency/);
    }
  });
});

describe('afterProvisionRead (the wait until READY)', () => {
  const T = new Date('2026-01-01T00:00:00Z');
  const asked: Provisioned = {
    version: '7',
    count: 2,
    basis: 'x',
    status: 'planned',
    requestedAt: T.toISOString(),
  };
  const at = (minutes: number) => new Date(T.getTime() + minutes * 60_000);

  it('notes when it became READY, once', () => {
    const ready = afterProvisionRead(asked, { status: 'READY' }, at(2));
    expect(ready).toMatchObject({ status: 'READY', readyAt: at(2).toISOString() });
    expect(afterProvisionRead(ready, { status: 'READY' }, at(5)).readyAt).toBe(at(2).toISOString());
  });

  it("keeps AWS's reason for FAILED", () => {
    expect(
      afterProvisionRead(asked, { status: 'FAILED', reason: 'FUNCTION_ERROR_INIT_FAILURE' }, at(1)),
    ).toMatchObject({ status: 'FAILED', reason: 'FUNCTION_ERROR_INIT_FAILURE' });
  });

  it(`waits while IN_PROGRESS, and gives up after ${MAX_PROVISION_MINUTES} minutes`, () => {
    expect(afterProvisionRead(asked, { status: 'IN_PROGRESS' }, at(MAX_PROVISION_MINUTES)).status).toBe(
      'IN_PROGRESS',
    );
    const late = afterProvisionRead(asked, { status: 'IN_PROGRESS' }, at(MAX_PROVISION_MINUTES + 0.5));
    expect(late.status).toBe('FAILED');
    expect(late.reason).toMatch(/still IN_PROGRESS 15 minutes after it was requested/);
  });
});

describe('provisionedHours (what it cost)', () => {
  it('is the count times the hours from the request to its removal', () => {
    const plan: Provisioned = {
      version: '7',
      count: 4,
      basis: 'x',
      status: 'removed',
      requestedAt: '2026-01-01T00:00:00Z',
      endedAt: '2026-01-01T00:45:00Z',
    };
    expect(provisionedHours(plan, new Date('2026-01-02T00:00:00Z'))).toBe(3);
    expect(describeProvisioned(plan, new Date())).toMatch(
      /4 provisioned concurrency on version 7 \(x\): requested at 2026-01-01T00:00:00Z, removed at 2026-01-01T00:45:00Z; 3 concurrency-hours/,
    );
  });

  it('counts up to now while it lasts, and nothing when it was never requested', () => {
    const plan: Provisioned = {
      version: '7',
      count: 2,
      basis: 'x',
      status: 'READY',
      requestedAt: '2026-01-01T00:00:00Z',
    };
    expect(provisionedHours(plan, new Date('2026-01-01T01:30:00Z'))).toBe(3);
    expect(provisionedHours({ ...plan, requestedAt: undefined } as unknown as Provisioned, new Date())).toBe(
      0,
    );
  });
});

describe('cold starts (shared/core/cold-start.ts)', () => {
  const minute = (at: string, slow: number) => ({
    at,
    canary: { requests: 100, errors: 1 },
    baseline: { requests: 900, errors: 4 },
    latency: { p99: { canary: { samples: 100, slow }, baseline: { samples: 900, slow: 9 } } },
  });

  it('counts a canary as cold only when it gets none while the stable side has some', () => {
    expect(runsColdBesideWarm(read(20), undefined)).toBe(true);
    expect(runsColdBesideWarm(read(20), { version: '7', count: 2, basis: 'x', status: 'planned' })).toBe(
      false,
    );
    expect(runsColdBesideWarm(read(20, 4), undefined)).toBe(false);
    expect(runsColdBesideWarm(read(0), undefined)).toBe(false);
    expect(runsColdBesideWarm({ baseline: '6', canary: '7', weight: 0 }, undefined)).toBe(false);
  });

  it("leaves out the latency of the minutes a cold canary's weight rose in, and keeps their errors", () => {
    const minutes = [minute('2026-01-01T00:00:00.000Z', 60), minute('2026-01-01T00:01:00.000Z', 1)];

    const judged = withoutColdLatency(minutes, [coldMinuteOf(new Date('2026-01-01T00:00:42Z'))]);

    expect(judged[0]).toEqual({
      at: minutes[0]?.at,
      canary: minutes[0]?.canary,
      baseline: minutes[0]?.baseline,
    });
    expect(judged[1]).toEqual(minutes[1]);
    expect(withoutColdLatency(minutes, undefined)).toEqual(minutes);
  });
});

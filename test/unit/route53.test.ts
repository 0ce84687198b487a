/**
 * The Route 53 router against a mocked SDK: what moto cannot show (a stale DELETE refused,
 * PriorRequestNotComplete) and the exact batches fledge sends.
 */
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  InvalidChangeBatch,
  ListResourceRecordSetsCommand,
  NoSuchHostedZone,
  PriorRequestNotComplete,
  type ResourceRecordSet,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { recordKey } from '../../shared/core/record';
import type { Route53WeightedTarget } from '../../shared/core/schema';
import { Route53WeightedRouter } from '../../shared/targets/route53-weighted/router';
import { closestWeights, shareOf } from '../../shared/targets/route53-weighted/shares';

const route53 = mockClient(Route53Client);

const target = (overrides: Partial<Route53WeightedTarget> = {}): Route53WeightedTarget => ({
  type: 'route53-weighted',
  hostedZoneId: 'Z123',
  recordName: 'app.example.com',
  recordType: 'A',
  stable: 'primary',
  canary: 'canary',
  finalize: true,
  ttlMarginSeconds: 30,
  stretchShortSteps: false,
  ...overrides,
});

const record = (
  id: string,
  weight: number,
  value: string,
  extra: Partial<ResourceRecordSet> = {},
): ResourceRecordSet => ({
  Name: 'app.example.com.',
  Type: 'A',
  SetIdentifier: id,
  Weight: weight,
  TTL: 60,
  ResourceRecords: [{ Value: value }],
  ...extra,
});

/** A zone whose two records change as the mocked batches say; every batch is recorded. */
function zone(initial: ResourceRecordSet[]) {
  let records = [...initial];
  const batches: Array<Array<{ Action?: string; ResourceRecordSet?: ResourceRecordSet }>> = [];
  const apply = async (input: { ChangeBatch: { Changes: unknown } }) => {
    const changes = input.ChangeBatch.Changes as Array<{
      Action: string;
      ResourceRecordSet: ResourceRecordSet;
    }>;
    batches.push(changes);
    for (const c of changes) {
      if (c.Action === 'DELETE')
        records = records.filter((r) => r.SetIdentifier !== c.ResourceRecordSet.SetIdentifier);
      if (c.Action === 'CREATE') records = [...records, c.ResourceRecordSet];
    }
    return { ChangeInfo: { Id: '/change/C1', Status: 'PENDING' as const, SubmittedAt: new Date() } };
  };
  route53
    .on(ListResourceRecordSetsCommand)
    .callsFake(async () => ({ ResourceRecordSets: records, IsTruncated: false }));
  route53.on(ChangeResourceRecordSetsCommand).callsFake(apply);
  route53
    .on(GetChangeCommand)
    .resolves({ ChangeInfo: { Id: 'C1', Status: 'INSYNC', SubmittedAt: new Date() } });
  return { batches, apply, records: () => records, replace: (next: ResourceRecordSet[]) => (records = next) };
}

const router = (t = target()) =>
  new Route53WeightedRouter(t, new Route53Client({ region: 'us-east-1' }), { sleep: async () => undefined });

beforeEach(() => route53.reset());

describe('Route53WeightedRouter', () => {
  it('moves both weights in one atomic DELETE+CREATE batch, keeping values and TTL', async () => {
    // Prepare
    const z = zone([record('primary', 100, '192.0.2.1'), record('canary', 0, '192.0.2.2')]);
    const r = router();
    const context = await r.prepare();

    // Act
    const applied = await r.setWeight(10, context);

    // Assess
    expect(z.batches).toHaveLength(1);
    expect(z.batches[0]?.map((c) => `${c.Action} ${c.ResourceRecordSet?.SetIdentifier}`)).toEqual([
      'DELETE primary',
      'CREATE primary',
      'DELETE canary',
      'CREATE canary',
    ]);
    expect(z.batches[0]?.[0]?.ResourceRecordSet).toEqual(record('primary', 100, '192.0.2.1'));
    const created = z.batches[0]?.filter((c) => c.Action === 'CREATE').map((c) => c.ResourceRecordSet);
    expect(created?.map((rr) => [rr?.TTL, rr?.ResourceRecords])).toEqual([
      [60, [{ Value: '192.0.2.1' }]],
      [60, [{ Value: '192.0.2.2' }]],
    ]);
    expect(applied.weight).toBe(10);
  });

  it('reports the share it applied when a percentage cannot be reached exactly', async () => {
    zone([record('primary', 100, '192.0.2.1'), record('canary', 0, '192.0.2.2')]);
    const r = router();

    const applied = await r.setWeight(33.3333, await r.prepare());

    expect(applied.weight).not.toBe(33.3333);
    expect(Math.abs(applied.weight - 33.3333)).toBeLessThan(0.01);
  });

  it('stops on a stale DELETE (someone changed a record since fledge read it), naming what is there now', async () => {
    const z = zone([record('primary', 100, '192.0.2.1'), record('canary', 0, '192.0.2.2')]);
    const r = router();
    const context = await r.prepare();
    route53.on(ChangeResourceRecordSetsCommand).callsFake(async () => {
      z.replace([record('primary', 100, '192.0.2.1'), record('canary', 50, '192.0.2.9')]);
      throw new InvalidChangeBatch({
        message:
          'Tried to delete resource record set but the values provided do not match the current values',
        $metadata: {},
      });
    });

    await expect(r.setWeight(10, context)).rejects.toMatchObject({
      name: 'TrafficConflictError',
      message: expect.stringMatching(
        /now primary=100, canary=50 \(33.33% canary\), which fledge did not write/,
      ),
    });
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(1);
  });

  it('takes the refused resend of its own landed batch as success, not a conflict', async () => {
    // The first batch landed and its response was lost; the SDK resent it, and Route 53 refused the
    // resend because its DELETE now names the old weights. What the caller sees is that refusal.
    const z = zone([record('primary', 100, '192.0.2.1'), record('canary', 0, '192.0.2.2')]);
    const r = router();
    const context = await r.prepare();
    route53.on(ChangeResourceRecordSetsCommand).callsFake(async (input) => {
      await z.apply(input);
      throw new InvalidChangeBatch({ message: 'the values provided do not match', $metadata: {} });
    });

    const applied = await r.setWeight(10, context);

    expect(applied.weight).toBe(10);
    expect(z.batches).toHaveLength(1);
  });

  it('calls a batch Route 53 refuses for its content a rejection, not a conflict', async () => {
    zone([record('primary', 100, '192.0.2.1'), record('canary', 0, '192.0.2.2')]);
    const r = router();
    const context = await r.prepare();
    route53
      .on(ChangeResourceRecordSetsCommand)
      .rejects(new InvalidChangeBatch({ message: 'ARRDATAIllegalIPv4Address', $metadata: {} }));

    await expect(r.setWeight(10, context)).rejects.toMatchObject({ name: 'ChangeRejectedError' });
  });

  it('refuses a pair that shares its name and type with other weighted records, writing nothing', async () => {
    zone([
      record('primary', 100, '192.0.2.1'),
      record('canary', 0, '192.0.2.2'),
      record('blue', 30, '192.0.2.3'),
    ]);

    await expect(router(target({ canaryValue: ['192.0.2.9'] })).prepare()).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringMatching(
        /other weighted records besides 'primary' and 'canary': 'blue' \(weight 30\)/,
      ),
    });
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
  });

  it('stops without writing when someone adds a weighted record mid-rollout', async () => {
    const z = zone([record('primary', 100, '192.0.2.1'), record('canary', 0, '192.0.2.2')]);
    const r = router();
    const context = await r.prepare();
    const first = await r.setWeight(10, context);
    z.replace([...z.records(), record('blue', 30, '192.0.2.3')]);

    await expect(
      r.setWeight(20, { ...context, weight: first.weight, revision: first.revision }),
    ).rejects.toMatchObject({
      name: 'TrafficConflictError',
      message: expect.stringMatching(/'blue' weight 30/),
    });
    expect(z.batches).toHaveLength(1);
  });

  it('goes on after a bounded wait when a change is slow to reach INSYNC', async () => {
    zone([record('primary', 100, '192.0.2.1'), record('canary', 0, '192.0.2.2')]);
    route53
      .on(GetChangeCommand)
      .resolves({ ChangeInfo: { Id: 'C1', Status: 'PENDING', SubmittedAt: new Date() } });
    const r = new Route53WeightedRouter(target(), new Route53Client({ region: 'us-east-1' }), {
      sleep: async () => undefined,
      maxSyncMs: 0,
    });

    const applied = await r.setWeight(10, await r.prepare());

    expect(applied.weight).toBe(10);
    expect(route53.commandCalls(GetChangeCommand).length).toBeGreaterThan(0);
  });

  it('stops without writing when a record changed since the last step', async () => {
    const z = zone([record('primary', 100, '192.0.2.1'), record('canary', 0, '192.0.2.2')]);
    const r = router();
    const context = await r.prepare();
    const first = await r.setWeight(10, context);
    z.replace([
      record('primary', 200, '192.0.2.1'),
      ...z.records().filter((x) => x.SetIdentifier === 'canary'),
    ]);

    await expect(
      r.setWeight(20, { ...context, weight: first.weight, revision: first.revision }),
    ).rejects.toMatchObject({
      name: 'TrafficConflictError',
    });
    expect(z.batches).toHaveLength(1);
  });

  it('retries PriorRequestNotComplete with backoff, then succeeds', async () => {
    const z = zone([record('primary', 100, '192.0.2.1'), record('canary', 0, '192.0.2.2')]);
    const r = router();
    const context = await r.prepare();
    const busy = new PriorRequestNotComplete({ message: 'still processing a prior request', $metadata: {} });
    route53.on(ChangeResourceRecordSetsCommand).rejectsOnce(busy).rejectsOnce(busy).callsFake(z.apply);

    const applied = await r.setWeight(10, context);

    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(3);
    expect(z.batches).toHaveLength(1);
    expect(applied.weight).toBe(10);
  });

  it('gives up on PriorRequestNotComplete after its attempts, as a transient error for the state machine', async () => {
    zone([record('primary', 100, '192.0.2.1'), record('canary', 0, '192.0.2.2')]);
    const r = router();
    const context = await r.prepare();
    route53
      .on(ChangeResourceRecordSetsCommand)
      .rejects(new PriorRequestNotComplete({ message: 'still processing', $metadata: {} }));

    await expect(r.setWeight(10, context)).rejects.toMatchObject({ name: 'TransientAwsError' });
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(3);
  });

  it('finalizes a promotion: the stable record takes the new values at full weight, the canary idles at 0', async () => {
    const z = zone([record('primary', 100, '192.0.2.1'), record('canary', 0, '192.0.2.2')]);
    const r = router(target({ canaryValue: ['192.0.2.9'] }));
    const context = await r.prepare();
    const step = await r.setWeight(50, context);

    await r.promote({ ...context, weight: step.weight, revision: step.revision });

    const byId = Object.fromEntries(z.records().map((x) => [x.SetIdentifier, x]));
    expect(byId.primary).toMatchObject({ Weight: 100, ResourceRecords: [{ Value: '192.0.2.9' }] });
    expect(byId.canary).toMatchObject({ Weight: 0, ResourceRecords: [{ Value: '192.0.2.9' }] });
    // Promotion: first all traffic on the canary, then the finalize batch.
    expect(
      z.batches
        .slice(-2)
        .map((b) => b.filter((c) => c.Action === 'CREATE').map((c) => c.ResourceRecordSet?.Weight)),
    ).toEqual([
      [0, 100],
      [100, 0],
    ]);
  });

  it('leaves the canary at 100% when finalize is off', async () => {
    const z = zone([record('primary', 100, '192.0.2.1'), record('canary', 0, '192.0.2.2')]);
    const r = router(target({ finalize: false }));
    const context = await r.prepare();

    const applied = await r.promote(context);

    expect(applied.weight).toBe(100);
    expect(Object.fromEntries(z.records().map((x) => [x.SetIdentifier, x.Weight]))).toEqual({
      primary: 0,
      canary: 100,
    });
  });

  it('rolls back to the stable record as first read, canary at 0', async () => {
    const z = zone([record('primary', 7, '192.0.2.1'), record('canary', 0, '192.0.2.2')]);
    const r = router();
    const context = await r.prepare();
    const step = await r.setWeight(40, context);

    const applied = await r.rollback({ ...context, weight: step.weight, revision: step.revision });

    expect(applied.weight).toBe(0);
    expect(Object.fromEntries(z.records().map((x) => [x.SetIdentifier, x.Weight]))).toEqual({
      primary: 7,
      canary: 0,
    });
  });

  describe('with health-checked records', () => {
    const checked = () =>
      zone([
        record('primary', 100, '192.0.2.1', { HealthCheckId: 'hc-blue' }),
        record('canary', 0, '192.0.2.2', { HealthCheckId: 'hc-green' }),
      ]);
    const byId = (z: ReturnType<typeof zone>) =>
      Object.fromEntries(z.records().map((x) => [x.SetIdentifier, x]));

    it('finalizes with the canary record whole: the stable record health-checks the fleet it now serves', async () => {
      const z = checked();
      const r = router();
      const context = await r.prepare();
      const step = await r.setWeight(50, context);

      await r.promote({ ...context, weight: step.weight, revision: step.revision });

      expect(byId(z).primary).toMatchObject({
        Weight: 100,
        ResourceRecords: [{ Value: '192.0.2.2' }],
        HealthCheckId: 'hc-green',
      });
      expect(byId(z).canary).toMatchObject({ Weight: 0, HealthCheckId: 'hc-green' });
    });

    it('rolls back a finalized promotion (a failed afterAllowTraffic hook) to the old fleet and its health check', async () => {
      const z = checked();
      const r = router();
      const context = await r.prepare();
      const step = await r.setWeight(50, context);
      const promoted = await r.promote({ ...context, weight: step.weight, revision: step.revision });

      const applied = await r.rollback({ ...context, weight: promoted.weight, revision: promoted.revision });

      expect(applied.weight).toBe(0);
      expect(byId(z).primary).toEqual(record('primary', 100, '192.0.2.1', { HealthCheckId: 'hc-blue' }));
      expect(byId(z).canary).toEqual(record('canary', 0, '192.0.2.2', { HealthCheckId: 'hc-green' }));
    });

    it('rolls back a promotion finalized by an earlier fledge, which kept the stable health check', async () => {
      const z = checked();
      const r = router();
      const context = await r.prepare();
      z.replace([
        record('primary', 100, '192.0.2.2', { HealthCheckId: 'hc-blue' }),
        record('canary', 0, '192.0.2.2', { HealthCheckId: 'hc-green' }),
      ]);

      await r.rollback({ ...context, weight: 100 });

      expect(byId(z).primary).toEqual(record('primary', 100, '192.0.2.1', { HealthCheckId: 'hc-blue' }));
    });

    it('still refuses to roll back over a health check someone else set', async () => {
      const z = checked();
      const r = router();
      const context = await r.prepare();
      z.replace([
        record('primary', 100, '192.0.2.2', { HealthCheckId: 'hc-someone' }),
        record('canary', 0, '192.0.2.2', { HealthCheckId: 'hc-green' }),
      ]);

      await expect(r.rollback({ ...context, weight: 100 })).rejects.toMatchObject({
        name: 'TrafficConflictError',
      });
      expect(z.batches).toHaveLength(0);
    });
  });

  it('keeps alias targets and drops the TTL an alias record must not carry', async () => {
    const alias = (id: string, weight: number, dns: string) =>
      record(id, weight, '', {
        TTL: 0,
        ResourceRecords: undefined,
        AliasTarget: { HostedZoneId: 'Z35SXDOTRQ7X7K', DNSName: dns, EvaluateTargetHealth: true },
      });
    const z = zone([
      alias('primary', 1, 'blue.elb.amazonaws.com.'),
      alias('canary', 0, 'green.elb.amazonaws.com.'),
    ]);
    const r = router();

    const context = await r.prepare();
    await r.setWeight(10, context);

    const created = z.batches[0]?.filter((c) => c.Action === 'CREATE').map((c) => c.ResourceRecordSet);
    expect(created?.map((x) => [x?.TTL, x?.AliasTarget?.DNSName])).toEqual([
      [undefined, 'blue.elb.amazonaws.com.'],
      [undefined, 'green.elb.amazonaws.com.'],
    ]);
    expect(context.ttlSeconds).toBe(60);
  });

  it.each([
    [
      'an unknown zone',
      () =>
        route53
          .on(ListResourceRecordSetsCommand)
          .rejects(new NoSuchHostedZone({ message: 'No hosted zone found', $metadata: {} })),
      /not a hosted zone/,
    ],
    ['a missing canary record', () => zone([record('primary', 100, '192.0.2.1')]), /SetIdentifier 'canary'/],
    [
      'a canary already taking traffic',
      () => zone([record('primary', 90, '192.0.2.1'), record('canary', 10, '192.0.2.2')]),
      /already takes 10% of the traffic/,
    ],
    [
      'a stable record at weight 0',
      () => zone([record('primary', 0, '192.0.2.1'), record('canary', 0, '192.0.2.2')]),
      /has weight 0/,
    ],
  ])('refuses %s before writing anything', async (_name, setup, message) => {
    setup();

    await expect(router(target({ canaryValue: ['192.0.2.9'] })).prepare()).rejects.toThrow(message);
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
  });

  it('lets the plan refuse (e.g. a step shorter than the TTL) before the canary values are written', async () => {
    zone([record('primary', 100, '192.0.2.1', { TTL: 300 }), record('canary', 0, '192.0.2.2')]);

    await expect(
      router(target({ canaryValue: ['192.0.2.9'] })).prepare((context) => {
        throw new Error(`TTL ${context.ttlSeconds}`);
      }),
    ).rejects.toThrow('TTL 300');
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
  });
});

describe('closestWeights', () => {
  it('never sets both weights to zero, and stays within 0-255', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 100, noNaN: true }), (percent) => {
        const pair = closestWeights(percent);
        expect(pair.stable + pair.canary).toBeGreaterThan(0);
        for (const w of [pair.stable, pair.canary])
          expect(Number.isInteger(w) && w >= 0 && w <= 255).toBe(true);
      }),
    );
  });

  it('reaches every share within a quarter of a percent, and reports what it reached', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.5, max: 99.5, noNaN: true }), (percent) => {
        const pair = closestWeights(percent);
        expect(Math.abs(pair.percent - percent)).toBeLessThan(0.25);
        expect(pair.percent).toBeCloseTo(shareOf(pair.stable, pair.canary), 10);
        expect(pair.stable).toBeGreaterThan(0);
      }),
    );
  });

  it('never routes nothing for a non-zero share: the smallest is 1/256', () => {
    fc.assert(
      fc.property(fc.double({ min: Number.MIN_VALUE, max: 100, noNaN: true }), (percent) => {
        expect(closestWeights(percent).canary).toBeGreaterThan(0);
      }),
    );
    expect(closestWeights(0.1)).toEqual({ stable: 255, canary: 1, percent: 100 / 256 });
  });

  it('hits common steps exactly', () => {
    for (const p of [1, 5, 10, 20, 25, 50, 75, 90]) expect(closestWeights(p).percent).toBeCloseTo(p, 10);
  });
});

describe('Route53WeightedRouter with real-world record sets', () => {
  /**
   * A zone listed as Route 53 lists it: one record per page here, sorted by name, type and
   * SetIdentifier, each page starting where the last one's NextRecord* said; names in lowercase with `*`
   * escaped, whichever way the start name spells them.
   */
  function pagedZone(initial: ResourceRecordSet[]) {
    const z = zone(initial);
    const key = (r: ResourceRecordSet) => `${r.Name}|${r.Type}|${r.SetIdentifier ?? ''}`;
    route53.on(ListResourceRecordSetsCommand).callsFake(async (input) => {
      const all = [...z.records()].sort((a, b) => key(a).localeCompare(key(b)));
      const start = all.findIndex(
        (r) =>
          r.Name ===
            `${String(input.StartRecordName).replace(/\.$/, '').replace('*', '\\052')}.`.toLowerCase() &&
          r.Type === input.StartRecordType &&
          (input.StartRecordIdentifier === undefined || r.SetIdentifier === input.StartRecordIdentifier),
      );
      const page = start < 0 ? [] : all.slice(start, start + 1);
      const next = start < 0 ? undefined : all[start + 1];
      return {
        ResourceRecordSets: page,
        IsTruncated: next !== undefined,
        ...(next
          ? { NextRecordName: next.Name, NextRecordType: next.Type, NextRecordIdentifier: next.SetIdentifier }
          : {}),
        MaxItems: 1,
      };
    });
    return z;
  }

  it('reads a pair that spans pages of ListResourceRecordSets', async () => {
    // Prepare
    const z = pagedZone([record('primary', 100, '192.0.2.1'), record('canary', 0, '192.0.2.2')]);
    const r = router();

    // Act
    const applied = await r.setWeight(10, await r.prepare());

    // Assess
    expect(applied.weight).toBe(10);
    expect(route53.commandCalls(ListResourceRecordSetsCommand).length).toBeGreaterThan(2);
    expect(Object.fromEntries(z.records().map((x) => [x.SetIdentifier, x.Weight]))).toEqual({
      primary: 252,
      canary: 28,
    });
  });

  it('gives every spelling of one name the same rollout record, so two rollouts cannot both take it', () => {
    const key = (recordName: string) => recordKey(target({ recordName }));

    expect(key('*.App.Example.com.')).toBe(key('\\052.app.example.com'));
    expect(key('app.example.com')).toBe('route53-weighted#Z123#app.example.com#A');
  });

  it('finds a wildcard pair, which Route 53 lists with the * escaped as \\052', async () => {
    // Route 53 returns every character other than a-z, 0-9, - and _ as a three-digit octal escape.
    const wildcard = (id: string, weight: number, value: string) =>
      record(id, weight, value, { Name: '\\052.app.example.com.' });
    const z = pagedZone([wildcard('primary', 100, '192.0.2.1'), wildcard('canary', 0, '192.0.2.2')]);
    const r = router(target({ recordName: '*.App.Example.com' }));

    const applied = await r.setWeight(10, await r.prepare());

    expect(applied.weight).toBe(10);
    expect(z.records().map((x) => [x.Name, x.SetIdentifier, x.Weight])).toEqual(
      expect.arrayContaining([
        ['\\052.app.example.com.', 'primary', 252],
        ['\\052.app.example.com.', 'canary', 28],
      ]),
    );
  });

  it('refuses canaryValue on a health-checked canary record, naming both fields, before writing anything', async () => {
    // The health check names the old endpoint: it would keep checking it while traffic goes to the new
    // values, and finalize would hand it to the stable record.
    zone([
      record('primary', 100, '192.0.2.1', { HealthCheckId: 'hc-blue' }),
      record('canary', 0, '192.0.2.2', { HealthCheckId: 'hc-green' }),
    ]);

    await expect(router(target({ canaryValue: ['192.0.2.9'] })).prepare()).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringMatching(/target\.canaryValue.*HealthCheckId 'hc-green'/),
    });
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
  });

  it('refuses it in a read-only check too (fledge start), and accepts a canaryValue the record already has', async () => {
    zone([
      record('primary', 100, '192.0.2.1', { HealthCheckId: 'hc-blue' }),
      record('canary', 0, '192.0.2.9', { HealthCheckId: 'hc-green' }),
    ]);

    await expect(
      router(target({ canaryValue: ['192.0.2.20'] })).prepare(undefined, { readOnly: true }),
    ).rejects.toMatchObject({ name: 'InvalidInputError' });
    await expect(router(target({ canaryValue: ['192.0.2.9'] })).prepare()).resolves.toMatchObject({
      canary: 'canary',
    });
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
  });

  it('takes the TTL of the record an alias points at in the same zone, for the step length check', async () => {
    // Route 53 answers an alias to a record of its own zone with that record's TTL, not 60 s.
    const alias = (id: string, weight: number, dns: string) =>
      record(id, weight, '', {
        TTL: undefined,
        ResourceRecords: undefined,
        AliasTarget: { HostedZoneId: 'Z123', DNSName: dns, EvaluateTargetHealth: false },
      });
    const plain = (name: string, ttl: number) => ({
      Name: name,
      Type: 'A' as const,
      TTL: ttl,
      ResourceRecords: [{ Value: '192.0.2.7' }],
    });
    zone([
      alias('primary', 100, 'blue.app.example.com.'),
      alias('canary', 0, 'green.app.example.com.'),
      plain('blue.app.example.com.', 300),
      plain('green.app.example.com.', 120),
    ]);

    const context = await router().prepare();

    expect(context.ttlSeconds).toBe(300);
  });

  it('leaves a third weighted record at weight 0 alone: it takes no share while the pair is healthy', async () => {
    // A weight-0 fallback (a maintenance page) is a documented Route 53 pattern: it answers only when
    // every record with a weight is unhealthy.
    const fallback = record('maintenance', 0, '192.0.2.99', { HealthCheckId: 'hc-maint' });
    const z = zone([record('primary', 100, '192.0.2.1'), record('canary', 0, '192.0.2.2'), fallback]);
    const r = router();

    const context = await r.prepare();
    const step = await r.setWeight(10, context);
    const promoted = await r.promote({ ...context, weight: step.weight, revision: step.revision });

    expect([step.weight, promoted.weight]).toEqual([10, 100]);
    expect(z.records().find((x) => x.SetIdentifier === 'maintenance')).toEqual(fallback);
    expect(z.batches.flat().map((c) => c.ResourceRecordSet?.SetIdentifier)).not.toContain('maintenance');
  });

  it('names what the record name holds when the pair is not of the target type, writing nothing', async () => {
    const cname = (id: string, weight: number, value: string) => record(id, weight, value, { Type: 'CNAME' });
    zone([cname('primary', 100, 'blue.example.net'), cname('canary', 0, 'green.example.net')]);

    await expect(router(target({ canaryValue: ['192.0.2.9'] })).prepare()).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringMatching(
        /no A record app.example.com with SetIdentifier 'primary'.*app.example.com has CNAME 'primary', CNAME 'canary'.*target.recordType/,
      ),
    });
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
  });
});

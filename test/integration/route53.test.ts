/**
 * Route 53 releases through `fledge run` against moto, in a zone that also holds 50 unrelated records
 * of several types, which must come out identical.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { useEndpoint } from '../../local/moto';
import {
  createHealthCheck,
  createUnrelatedRecords,
  createWeightedPair,
  createZone,
  listRecords,
} from '../../local/route53-fixtures';
import { publishSideMinutes } from '../support/aws';
import { fledgeCli, fledgeRun } from '../support/cli';

const START = new Date('2026-11-06T09:00:00.000Z');
const zones: Record<string, string> = {};
/** The health checks of the `checked` app's fleets: the stable one and the canary's. */
const checks = { stable: '', canary: '' };
const unrelatedBefore: Record<string, ResourceRecordSet[]> = {};

const fledge = (input: unknown) => fledgeRun(input, START, ['--json']);

const metric = (app: string, metricName: string) => ({
  namespace: 'MyApp',
  metricName,
  stable: { App: app, Side: 'stable' },
  canary: { App: app, Side: 'canary' },
});

const release = (app: string, overrides: Record<string, unknown> = {}) => ({
  target: {
    type: 'route53-weighted',
    hostedZoneId: zones[app],
    recordName: `app.${app}.example`,
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
  analysis: { requests: metric(app, 'Requests'), errors: metric(app, 'Errors') },
  ...overrides,
});

async function pair(app: string) {
  const records = await listRecords(zones[app] ?? '');
  const of = (id: string) => records.find((r) => r.Name === `app.${app}.example.` && r.SetIdentifier === id);
  const show = (r?: ResourceRecordSet) => ({
    weight: r?.Weight,
    values: r?.ResourceRecords?.map((v) => v.Value),
    ...(r?.HealthCheckId ? { healthCheck: r.HealthCheckId } : {}),
  });
  return { primary: show(of('primary')), canary: show(of('canary')) };
}

const unrelated = async (app: string) =>
  (await listRecords(zones[app] ?? '')).filter((r) => r.Name?.startsWith('svc'));

describe('Route 53 releases against moto', () => {
  beforeAll(async () => {
    useEndpoint(inject('motoEndpoint'));
    // One zone per scenario (see local/route53-fixtures.ts), each with 50 records that must not change.
    for (const app of ['good', 'bad', 'ttl', 'busy']) {
      const zoneId = await createZone(`${app}.example`);
      zones[app] = zoneId;
      await createUnrelatedRecords(zoneId, `${app}.example`, 50);
      await createWeightedPair(zoneId, `app.${app}.example`, '192.0.2.10', '192.0.2.11');
      unrelatedBefore[app] = await unrelated(app);
    }
    checks.stable = await createHealthCheck('192.0.2.10');
    checks.canary = await createHealthCheck('192.0.2.20');
    zones.checked = await createZone('checked.example');
    await createWeightedPair(zones.checked, 'app.checked.example', '192.0.2.10', '192.0.2.20', 60, checks);
    zones.guarded = await createZone('guarded.example');
    await createWeightedPair(zones.guarded, 'app.guarded.example', '192.0.2.10', '192.0.2.11', 60, checks);
    await publishSideMinutes('MyApp', 'good', START, 30, {
      stable: { requests: 900, errors: 4 },
      canary: { requests: 100, errors: 0 },
    });
    await publishSideMinutes('MyApp', 'bad', START, 30, {
      stable: { requests: 900, errors: 4 },
      canary: { requests: 100, errors: 6 },
    });
  });

  it('promotes a healthy fleet to 100% and finalizes: the stable record serves the new values', async () => {
    const { code, report } = await fledge(release('good'));

    expect(code).toBe(0);
    expect(report).toMatchObject({ outcome: 'promoted', weight: 100 });
    expect(await pair('good')).toEqual({
      primary: { weight: 100, values: ['192.0.2.20'] },
      canary: { weight: 0, values: ['192.0.2.20'] },
    });
  });

  it('returns all traffic to the stable fleet when the new one fails', async () => {
    const { code, report } = await fledge(release('bad'));

    expect(code).toBe(1);
    expect(report).toMatchObject({ outcome: 'rolled-back', weight: 0 });
    expect(await pair('bad')).toEqual({
      primary: { weight: 100, values: ['192.0.2.10'] },
      canary: { weight: 0, values: ['192.0.2.20'] },
    });
  });

  it('rolls back a finalized promotion that afterAllowTraffic rejects, health checks included', async () => {
    // Finalize gave 'primary' the new fleet with the canary's health check; the hook then fails, and
    // rollback must recognise that state as fledge's own, not stop on a conflict with the release kept.
    const hook = join(mkdtempSync(join(tmpdir(), 'fledge-hook-')), 'after.mjs');
    writeFileSync(hook, "export async function handler() { return { status: 'Failed' }; }\n");
    // No canaryValue: the canary record already serves the new fleet, with the new fleet's health check.
    const { canaryValue: _, ...target } = release('checked').target;
    const input = release('checked', {
      target,
      analysis: { requests: metric('good', 'Requests'), errors: metric('good', 'Errors') },
      hooks: { afterAllowTraffic: 'fledge-hook-after' },
    });

    const { code, report } = await fledgeRun(input, START, ['--json', '--hook', `fledge-hook-after=${hook}`]);

    expect(code).toBe(1);
    expect(report).toMatchObject({ outcome: 'rolled-back', weight: 0 });
    expect(String(report.reason)).toMatch(
      /afterAllowTraffic hook fledge-hook-after reported Failed after promotion/,
    );
    expect(await pair('checked')).toEqual({
      primary: { weight: 100, values: ['192.0.2.10'], healthCheck: checks.stable },
      canary: { weight: 0, values: ['192.0.2.20'], healthCheck: checks.canary },
    });
  });

  it('refuses steps shorter than the TTL plus margin, before writing anything', async () => {
    const before = await pair('ttl');

    const { code, report } = await fledge(release('ttl', { strategy: 'Linear10PercentEvery1Minute' }));

    expect(code).toBe(2);
    expect(String(report.reason)).toMatch(
      /step 1 bakes 60s, but app.ttl.example has a TTL of 60s.*at least 90s/,
    );
    expect(await pair('ttl')).toEqual(before);
  });

  it('refuses canaryValue on a health-checked canary record, exits 2 and changes nothing', async () => {
    // Its health check would keep checking the old endpoint while traffic moved to the new values.
    const before = await listRecords(zones.guarded ?? '');

    const { code, report } = await fledge(release('guarded'));

    expect(code).toBe(2);
    expect(String(report.reason)).toMatch(
      new RegExp(`target.canaryValue: the canary record 'canary' has HealthCheckId '${checks.canary}'`),
    );
    expect(await listRecords(zones.guarded ?? '')).toEqual(before);
  });

  it.each([
    ['an unknown zone', { hostedZoneId: 'ZNOSUCHZONE' }, /is not a hosted zone/],
    [
      'a missing record',
      { recordName: 'missing.busy.example' },
      /no A record missing.busy.example with SetIdentifier 'primary'/,
    ],
    [
      'the same SetIdentifier twice',
      { canary: 'primary' },
      /stable and canary must be different SetIdentifiers/,
    ],
  ])('exits 2 on %s and changes nothing', async (_name, targetChange, message) => {
    const before = await listRecords(zones.busy ?? '');
    const input = release('busy');

    const { code, report } = await fledge({ ...input, target: { ...input.target, ...targetChange } });

    expect(code).toBe(2);
    expect(String(report.reason)).toMatch(message);
    expect(await listRecords(zones.busy ?? '')).toEqual(before);
  });

  it('replays a past release over the same metrics without touching the records', async () => {
    const before = await listRecords(zones.busy ?? '');
    const input = release('busy');
    const bad = {
      ...input,
      analysis: { requests: metric('bad', 'Requests'), errors: metric('bad', 'Errors') },
    };

    const { code, report } = await fledgeCli('replay', bad, ['--start', START.toISOString(), '--json']);

    expect(code).toBe(1);
    expect(report).toMatchObject({
      outcome: 'rolled-back',
      replay: true,
      replayed: { baseline: 'primary', canary: 'canary' },
    });
    expect(await listRecords(zones.busy ?? '')).toEqual(before);
  });

  it('leaves the 50 unrelated records of each zone exactly as they were', async () => {
    for (const app of ['good', 'bad', 'ttl', 'busy']) {
      expect(unrelatedBefore[app]).toHaveLength(50);
      expect(await unrelated(app), app).toEqual(unrelatedBefore[app]);
    }
  });
});

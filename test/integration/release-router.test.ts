/**
 * A release of three Lambda aliases and one Route 53 pair moved by the ReleaseRouter over the real
 * routers, on moto with AWS's write checks: every target moved and read back at each step, all promoted;
 * and a promotion that fails half-way, after which the rollback puts every target back on its baseline.
 */
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createFunctionWithAlias } from '../../local/fixtures';
import { useEndpoint } from '../../local/moto';
import { createWeightedPair, createZone, listRecords } from '../../local/route53-fixtures';
import type { Applied, TrafficContext, TrafficRouter } from '../../shared/core/ports';
import { type Target, TargetSchema } from '../../shared/core/schema';
import { kindOf } from '../../shared/targets/kinds';
import { ReleaseRouter } from '../../shared/targets/release-router';
import { createReleaseRouter, createRouter } from '../../shared/targets/routers';
import { readAlias } from '../support/aws';

const zones: Record<string, string> = {};

const aliasTarget = (fn: string): Target => ({
  type: 'lambda-alias',
  functionName: fn,
  alias: 'live',
  version: '2',
});
const dnsTarget = (app: string): Target =>
  TargetSchema.parse({
    type: 'route53-weighted',
    hostedZoneId: zones[app] ?? '',
    recordName: `app.${app}.example`,
    recordType: 'A',
    stable: 'primary',
    canary: 'canary',
  });

/** A router whose promote fails as AWS would refuse it for good (e.g. a policy that denies the write). */
function deniedOnPromote(router: TrafficRouter): TrafficRouter {
  return Object.assign(Object.create(router) as TrafficRouter, {
    promote: async (_context: TrafficContext): Promise<Applied> => {
      throw Object.assign(new Error('not authorized to perform lambda:UpdateAlias'), {
        name: 'AccessDeniedException',
      });
    },
  });
}

async function releaseOf(prefix: string, options: { denyPromoteOf?: number } = {}) {
  const targets = [
    aliasTarget(`${prefix}-checkout`),
    aliasTarget(`${prefix}-cart`),
    aliasTarget(`${prefix}-worker`),
    dnsTarget(prefix),
  ];
  for (const fn of ['checkout', 'cart', 'worker'])
    await createFunctionWithAlias(`${prefix}-${fn}`, 'live', 2);
  if (options.denyPromoteOf === undefined) return createReleaseRouter(targets.map((target) => ({ target })));
  const members = targets.map((target, i) => {
    const router = createRouter(target);
    return {
      label: kindOf(target).label(target),
      router: i === options.denyPromoteOf ? deniedOnPromote(router) : router,
    };
  });
  return new ReleaseRouter(members);
}

async function weights(app: string) {
  const records = await listRecords(zones[app] ?? '');
  const of = (id: string) =>
    records.find((r: ResourceRecordSet) => r.Name === `app.${app}.example.` && r.SetIdentifier === id)
      ?.Weight;
  const primary = of('primary') ?? 0;
  const canary = of('canary') ?? 0;
  // Route 53 shares traffic by weight / sum of weights: the canary's percent as clients get it.
  return { canaryPercent: primary + canary === 0 ? null : Math.round((100 * canary) / (primary + canary)) };
}

const written = (context: TrafficContext, applied: Applied): TrafficContext => ({
  ...context,
  weight: applied.weight,
  revision: applied.revision,
});

beforeAll(async () => {
  useEndpoint(inject('motoEndpoint'));
  for (const app of ['relgood', 'relhalf']) {
    const zoneId = await createZone(`${app}.example`);
    zones[app] = zoneId;
    await createWeightedPair(zoneId, `app.${app}.example`, '192.0.2.10', '192.0.2.20', 30);
  }
});

describe('a release of three aliases and a Route 53 pair, on moto', () => {
  it('moves every target at each step, reads each back, and promotes them all', async () => {
    const release = await releaseOf('relgood');
    let context = await release.prepare();

    context = written(context, await release.setWeight(10, context));
    expect(context.weight).toBe(10);
    expect(await readAlias('relgood-cart', 'live')).toEqual({ version: '1', weights: { '2': 0.1 } });
    expect(await weights('relgood')).toEqual({ canaryPercent: 10 });

    context = written(context, await release.setWeight(50, context));
    expect(await readAlias('relgood-worker', 'live')).toEqual({ version: '1', weights: { '2': 0.5 } });
    expect(await weights('relgood')).toEqual({ canaryPercent: 50 });

    const promoted = await release.promote(context);
    expect(promoted.weight).toBe(100);
    for (const fn of ['checkout', 'cart', 'worker'])
      expect(await readAlias(`relgood-${fn}`, 'live')).toEqual({ version: '2', weights: {} });
    // Finalized (the default): the stable record now serves the canary's values at full weight.
    const records = await listRecords(zones.relgood ?? '');
    const primary = records.find((r) => r.Name === 'app.relgood.example.' && r.SetIdentifier === 'primary');
    expect(primary?.ResourceRecords?.map((v) => v.Value)).toEqual(['192.0.2.20']);
    expect(await weights('relgood')).toEqual({ canaryPercent: 0 });
  });

  it('ends all old when promotion fails half-way: the rollback restores every target, the promoted ones too', async () => {
    // The third alias refuses its promotion; the first two are promoted by then, the Route 53 pair not.
    const release = await releaseOf('relhalf', { denyPromoteOf: 2 });
    let context = await release.prepare();
    context = written(context, await release.setWeight(20, context));

    await expect(release.promote(context)).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(await readAlias('relhalf-checkout', 'live')).toEqual({ version: '2', weights: {} });
    expect(await readAlias('relhalf-worker', 'live')).toEqual({ version: '1', weights: { '2': 0.2 } });
    expect(await weights('relhalf')).toEqual({ canaryPercent: 20 });

    // The state machine's PromoteFailed → Rollback, with the state from before the promotion.
    const back = await release.rollback(context);

    expect(back.weight).toBe(0);
    for (const fn of ['checkout', 'cart', 'worker'])
      expect(await readAlias(`relhalf-${fn}`, 'live')).toEqual({ version: '1', weights: {} });
    expect(await weights('relhalf')).toEqual({ canaryPercent: 0 });
    const records = await listRecords(zones.relhalf ?? '');
    const primary = records.find((r) => r.Name === 'app.relhalf.example.' && r.SetIdentifier === 'primary');
    expect(primary?.ResourceRecords?.map((v) => v.Value)).toEqual(['192.0.2.10']);
  });
});

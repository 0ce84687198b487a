/**
 * A release of two Lambda aliases with provisioned concurrency and one without, through
 * `fledge run --clock virtual` on moto (Lambda's provisioned concurrency emulated by local/moto_server.py):
 * each PC alias's canary version gets its own before any target takes traffic, and loses it at the end;
 * one version that cannot be provisioned rolls the whole release back with no traffic moved.
 */
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createFunctionWithAlias, createRolloutTable } from '../../local/fixtures';
import { useEndpoint } from '../../local/moto';
import { dynamoDbClient } from '../../shared/aws/clients';
import { DynamoDbRolloutRecords } from '../../shared/aws/records';
import { publishLambdaMinutes, readAlias } from '../support/aws';
import { fledgeRun } from '../support/cli';
import { aliasWithProvisioned, provisionedOf } from '../support/provisioned';

const START = new Date('2026-12-04T09:00:00.000Z');
const TABLE = 'fledge-release-provisioned-test';
const WARM = ['api', 'worker'] as const;
const COLD = 'cron';
const ALL = [...WARM, COLD] as const;
let records: DynamoDbRolloutRecords;

const healthy = { '1': { requests: 900, errors: 4 }, '2': { requests: 100, errors: 0 } };
const faulty = { '1': { requests: 900, errors: 4 }, '2': { requests: 100, errors: 8 } };

const releaseInput = (prefix: string) => ({
  release: `${prefix}-release`,
  targets: ALL.map((fn) => ({
    type: 'lambda-alias',
    functionName: `${prefix}-${fn}`,
    alias: 'live',
    version: '2',
  })),
  strategy: {
    steps: [
      { weight: 10, bakeMinutes: 2 },
      { weight: 50, bakeMinutes: 2 },
    ],
  },
});

/** Two functions whose alias has 10 provisioned concurrency, one without; `fails`'s version 2 cannot be provisioned. */
async function world(prefix: string, options: { faulty?: string; fails?: string } = {}) {
  for (const fn of ALL) {
    const name = `${prefix}-${fn}`;
    if (fn === COLD) await createFunctionWithAlias(name, 'live', 2);
    else await aliasWithProvisioned(name, { canaryFails: fn === options.fails });
    await publishLambdaMinutes(name, 'live', START, 120, fn === options.faulty ? faulty : healthy);
  }
}

type Row = { target: string; version: string; count: number; status: string; hours: number };

const provisionedRows = (report: Record<string, unknown>) =>
  ((report.release as { provisioned?: Row[] } | undefined)?.provisioned ?? []).map((r) => [
    r.target,
    r.version,
    r.count,
    r.status,
  ]);

async function canaryConfigs(prefix: string) {
  return Promise.all(ALL.map((fn) => provisionedOf(`${prefix}-${fn}`, '2')));
}

async function recordStatuses(prefix: string) {
  const ended = await Promise.all(ALL.map((fn) => records.get(`lambda-alias#${prefix}-${fn}#live`)));
  return ended.map((r) => [r?.status, r?.provisioned?.status]);
}

describe('a release with provisioned concurrency on two of its three aliases, through fledge run on moto', () => {
  beforeAll(async () => {
    useEndpoint(inject('motoEndpoint'));
    await createRolloutTable(TABLE);
    records = new DynamoDbRolloutRecords(TABLE, dynamoDbClient(), {
      describe: async () => ({ status: 'RUNNING' }),
    });
    await world('rpchealthy');
    await world('rpcfaulty', { faulty: 'worker' });
    await world('rpcfails', { fails: 'worker' });
  });

  it('warms both PC canaries before traffic, promotes every target, and removes the canaries’ PC', async () => {
    const { code, report } = await fledgeRun(releaseInput('rpchealthy'), START, ['--json'], {
      FLEDGE_TABLE: TABLE,
    });

    expect(report, JSON.stringify(report)).toMatchObject({ outcome: 'promoted', weight: 100 });
    expect(code).toBe(0);
    // 10 on the alias, the largest step 50%: 5 each, removed after the promotion.
    expect(provisionedRows(report)).toEqual([
      ['rpchealthy-api:live', '2', 5, 'removed'],
      ['rpchealthy-worker:live', '2', 5, 'removed'],
    ]);
    for (const alias of await Promise.all(ALL.map((fn) => readAlias(`rpchealthy-${fn}`, 'live'))))
      expect(alias).toEqual({ version: '2', weights: {} });
    expect(await canaryConfigs('rpchealthy')).toEqual([undefined, undefined, undefined]);
    // The alias keeps its own, which Lambda moved to version 2 with it.
    expect(await provisionedOf('rpchealthy-api', 'live')).toMatchObject({
      RequestedProvisionedConcurrentExecutions: 10,
    });
    expect(await recordStatuses('rpchealthy')).toEqual([
      ['promoted', 'removed'],
      ['promoted', 'removed'],
      ['promoted', undefined],
    ]);
  });

  it('rolls every target back when one is faulty, and removes the canaries’ PC', async () => {
    const { code, report } = await fledgeRun(releaseInput('rpcfaulty'), START, ['--json'], {
      FLEDGE_TABLE: TABLE,
    });

    expect(code).toBe(1);
    expect(report, JSON.stringify(report)).toMatchObject({ outcome: 'rolled-back', weight: 0 });
    expect(String(report.reason)).toMatch(/rpcfaulty-worker:live/);
    expect(provisionedRows(report)).toEqual([
      ['rpcfaulty-api:live', '2', 5, 'removed'],
      ['rpcfaulty-worker:live', '2', 5, 'removed'],
    ]);
    for (const alias of await Promise.all(ALL.map((fn) => readAlias(`rpcfaulty-${fn}`, 'live'))))
      expect(alias).toEqual({ version: '1', weights: {} });
    expect(await canaryConfigs('rpcfaulty')).toEqual([undefined, undefined, undefined]);
    expect(await recordStatuses('rpcfaulty')).toEqual([
      ['rolled-back', 'removed'],
      ['rolled-back', 'removed'],
      ['rolled-back', undefined],
    ]);
  });

  it('moves no target when one canary cannot be provisioned, and frees every PC it asked for', async () => {
    const { code, report } = await fledgeRun(releaseInput('rpcfails'), START, ['--json'], {
      FLEDGE_TABLE: TABLE,
    });

    expect(code).toBe(1);
    expect(report, JSON.stringify(report)).toMatchObject({ outcome: 'rolled-back', weight: 0, checks: 0 });
    expect(String(report.reason)).toMatch(
      /provisioned concurrency failed for rpcfails-worker:live version 2 \(FUNCTION_ERROR_INIT_FAILURE.*no traffic had moved/,
    );
    expect(provisionedRows(report)).toEqual([
      ['rpcfails-api:live', '2', 5, 'removed'],
      ['rpcfails-worker:live', '2', 5, 'removed'],
    ]);
    for (const alias of await Promise.all(ALL.map((fn) => readAlias(`rpcfails-${fn}`, 'live'))))
      expect(alias).toEqual({ version: '1', weights: {} });
    expect(await canaryConfigs('rpcfails')).toEqual([undefined, undefined, undefined]);
    expect((await recordStatuses('rpcfails')).map(([status]) => status)).toEqual(
      ALL.map(() => 'rolled-back'),
    );
  });
});

/**
 * A release of three Lambda aliases and one Route 53 pair through `fledge run --clock virtual` on moto
 * (issue 20's "done when"): all healthy, every target promoted; one faulty, every target back on its
 * baseline, the healthy ones included; one target busy, nothing taken or moved.
 */
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import { CreateStateMachineCommand, DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createFunctionWithAlias, createRolloutTable } from '../../local/fixtures';
import { useEndpoint } from '../../local/moto';
import { createWeightedPair, createZone, listRecords } from '../../local/route53-fixtures';
import { dynamoDbClient } from '../../shared/aws/clients';
import { DynamoDbRolloutRecords } from '../../shared/aws/records';
import { publishLambdaMinutes, publishSideMinutes, readAlias } from '../support/aws';
import { fledgeArgs, fledgeRun } from '../support/cli';

const START = new Date('2026-12-04T09:00:00.000Z');
const FUNCTIONS = ['checkout', 'cart', 'worker'] as const;
const zones: Record<string, string> = {};
const TABLE = 'fledge-release-run-test';
const env = { FLEDGE_TABLE: TABLE };
let records: DynamoDbRolloutRecords;
let stateMachineArn = '';
const run = (input: unknown) => fledgeRun(input, START, ['--json'], env);

/** Each target's record in the release's order: who holds it and where it ended. */
async function recordsOf(prefix: string) {
  const keys = [
    ...FUNCTIONS.map((fn) => `lambda-alias#${prefix}-${fn}#live`),
    ...(await records.active()).filter((r) => r.key.includes(`app.${prefix}.example`)).map((r) => r.key),
  ];
  return Promise.all(keys.map((key) => records.get(key)));
}

const healthy = { baseline: { requests: 900, errors: 4 }, canary: { requests: 100, errors: 0 } };
const faulty = { baseline: { requests: 900, errors: 4 }, canary: { requests: 100, errors: 8 } };

/** The release's input: three aliases of `prefix`'s functions and its Route 53 pair. */
const releaseInput = (prefix: string, overrides: Record<string, unknown> = {}) => ({
  release: `${prefix}-release`,
  targets: [
    ...FUNCTIONS.map((fn) => ({
      type: 'lambda-alias',
      functionName: `${prefix}-${fn}`,
      alias: 'live',
      version: '2',
    })),
    {
      target: {
        type: 'route53-weighted',
        hostedZoneId: zones[prefix],
        recordName: `app.${prefix}.example`,
        recordType: 'A',
        stable: 'primary',
        canary: 'canary',
      },
      analysis: {
        requests: sideMetric(prefix, 'Requests'),
        errors: sideMetric(prefix, 'Errors'),
      },
    },
  ],
  strategy: {
    steps: [
      { weight: 10, bakeMinutes: 2 },
      { weight: 50, bakeMinutes: 2 },
    ],
  },
  ...overrides,
});

const sideMetric = (app: string, metricName: string) => ({
  namespace: 'MyApp',
  metricName,
  stable: { App: app, Side: 'stable' },
  canary: { App: app, Side: 'canary' },
});

async function world(prefix: string, faultyTarget?: (typeof FUNCTIONS)[number]) {
  zones[prefix] = await createZone(`${prefix}.example`);
  await createWeightedPair(zones[prefix] ?? '', `app.${prefix}.example`, '192.0.2.10', '192.0.2.11');
  for (const fn of FUNCTIONS) {
    await createFunctionWithAlias(`${prefix}-${fn}`, 'live', 2);
    const traffic = fn === faultyTarget ? faulty : healthy;
    await publishLambdaMinutes(`${prefix}-${fn}`, 'live', START, 120, {
      '1': traffic.baseline,
      '2': traffic.canary,
    });
  }
  await publishSideMinutes('MyApp', prefix, START, 120, {
    stable: healthy.baseline,
    canary: healthy.canary,
  });
}

async function aliasVersions(prefix: string) {
  return Promise.all(FUNCTIONS.map((fn) => readAlias(`${prefix}-${fn}`, 'live')));
}

async function pair(prefix: string) {
  const records = await listRecords(zones[prefix] ?? '');
  const of = (id: string) => {
    const record = records.find(
      (r: ResourceRecordSet) => r.Name === `app.${prefix}.example.` && r.SetIdentifier === id,
    );
    return { weight: record?.Weight, values: record?.ResourceRecords?.map((v) => v.Value) };
  };
  return { primary: of('primary'), canary: of('canary') };
}

describe('a release of three Lambda aliases and a Route 53 pair, through fledge run on moto', () => {
  beforeAll(async () => {
    useEndpoint(inject('motoEndpoint'));
    await createRolloutTable(TABLE);
    records = new DynamoDbRolloutRecords(TABLE, dynamoDbClient(), {
      describe: async () => ({ status: 'RUNNING' }),
    });
    // A state machine that only waits: `fledge retry` starts an execution of it, which moves nothing.
    const machine = await new SFNClient({}).send(
      new CreateStateMachineCommand({
        name: 'fledge-canary-release-run',
        roleArn: 'arn:aws:iam::123456789012:role/fledge-states',
        definition: JSON.stringify({
          StartAt: 'Wait',
          States: { Wait: { Type: 'Wait', Seconds: 3600, End: true } },
        }),
      }),
    );
    stateMachineArn = machine.stateMachineArn ?? '';
    await world('runhealthy');
    await world('runfaulty', 'cart');
    await world('runbusy');
  });

  it('promotes every target when all are healthy', async () => {
    const { code, report } = await run(releaseInput('runhealthy'));

    expect(report).toMatchObject({
      outcome: 'promoted',
      weight: 100,
      release: {
        name: 'runhealthy-release',
        targets: expect.arrayContaining(['alias runhealthy-cart:live (version 1 → 2)']),
      },
    });
    expect((report.release as { targets: string[] }).targets).toHaveLength(4);
    expect(code).toBe(0);
    const aliases = await aliasVersions('runhealthy');
    for (const alias of aliases) expect(alias).toEqual({ version: '2', weights: {} });
    // Route 53's promotion finalizes: the stable record serves the new fleet's values with all the weight.
    expect(await pair('runhealthy')).toEqual({
      primary: { weight: 100, values: ['192.0.2.11'] },
      canary: { weight: 0, values: ['192.0.2.11'] },
    });
    const ended = await recordsOf('runhealthy');
    expect(ended.map((r) => [r?.status, r?.owner === ended[0]?.owner])).toEqual(
      FUNCTIONS.map(() => ['promoted', true]),
    );
    // By its name once it has ended, as a target's name finds its last rollout.
    const status = await fledgeArgs(['status', 'runhealthy-release', '--json'], env);
    expect(status.code).toBe(0);
    expect(status.report).toMatchObject({
      rollout: 'release runhealthy-release (4 targets)',
      status: 'promoted',
      weight: 100,
      owner: ended[0]?.owner,
    });
    expect((status.report.targets as Array<{ status: string }>).map((t) => t.status)).toEqual([
      'promoted',
      'promoted',
      'promoted',
      'promoted',
    ]);
  });

  it('rolls every target back to its baseline when one is faulty, the healthy ones included', async () => {
    const { code, report } = await run(releaseInput('runfaulty'));

    expect(code).toBe(1);
    expect(report).toMatchObject({ outcome: 'rolled-back', weight: 0 });
    expect(String(report.reason)).toMatch(/runfaulty-cart:live/);
    expect(String(report.reason)).not.toMatch(/runfaulty-checkout:live/);
    const aliases = await aliasVersions('runfaulty');
    for (const alias of aliases) expect(alias).toEqual({ version: '1', weights: {} });
    expect(await pair('runfaulty')).toEqual({
      primary: { weight: 100, values: ['192.0.2.10'] },
      canary: { weight: 0, values: ['192.0.2.11'] },
    });
    const ended = await recordsOf('runfaulty');
    expect(ended.map((r) => [r?.status, r?.release?.name])).toEqual(
      FUNCTIONS.map(() => ['rolled-back', 'runfaulty-release']),
    );
    const status = await fledgeArgs(['status', 'runfaulty-release', '--json'], env);
    expect(status.report).toMatchObject({ status: 'rolled-back', weight: 0 });
    const unknown = await fledgeArgs(['status', 'never-released', '--json'], env);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stdout + JSON.stringify(unknown.report)).toMatch(
      /no release named 'never-released' is on record/,
    );
    // Retried by any of its targets' names, it starts again as the whole release, with the input it had.
    const retried = await fledgeArgs(
      ['retry', 'runfaulty-cart:live', '--state-machine', stateMachineArn, '--json'],
      env,
    );
    expect(retried, retried.stdout).toMatchObject({ code: 0, report: { outcome: 'started' } });
    const execution = await new SFNClient({}).send(
      new DescribeExecutionCommand({ executionArn: String(retried.report.executionArn) }),
    );
    expect(JSON.parse(execution.input ?? '{}')).toMatchObject({
      release: 'runfaulty-release',
      targets: releaseInput('runfaulty').targets,
      strategy: releaseInput('runfaulty').strategy,
    });
  });

  it('refuses a release one of whose targets another rollout holds: nothing taken, nothing moved', async () => {
    await records.acquire({
      key: 'lambda-alias#runbusy-worker#live',
      owner: 'another-execution',
      since: START.toISOString(),
      updatedAt: START.toISOString(),
      status: 'baking',
      target: { type: 'lambda-alias', functionName: 'runbusy-worker', alias: 'live', version: '2' },
      label: 'alias runbusy-worker:live',
    });
    const before = await pair('runbusy');

    const { code, report } = await run(releaseInput('runbusy'));

    expect(code).toBe(2);
    expect(String(report.reason)).toMatch(
      /took none of its targets: alias runbusy-worker:live .*holds this target/,
    );
    expect(await records.get('lambda-alias#runbusy-checkout#live')).toBeUndefined();
    expect(await records.get('lambda-alias#runbusy-cart#live')).toBeUndefined();
    expect((await records.get('lambda-alias#runbusy-worker#live'))?.owner).toBe('another-execution');
    for (const alias of await aliasVersions('runbusy')) expect(alias).toEqual({ version: '1', weights: {} });
    expect(await pair('runbusy')).toEqual(before);
  });

  it('refuses a target that does not fit, naming its place in targets, and changes nothing', async () => {
    const input = releaseInput('runbusy');
    const targets = [...input.targets];
    targets[1] = { type: 'lambda-alias', functionName: 'runbusy-cart', alias: 'live', version: '' };

    const { code, report } = await run({ ...input, targets });

    expect(code).toBe(2);
    expect(String(report.reason)).toMatch(/targets\[1\]/);
    expect(await records.get('lambda-alias#runbusy-checkout#live')).toBeUndefined();
  });
});

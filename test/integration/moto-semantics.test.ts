/**
 * The emulator refuses what AWS refuses (local/moto_server.py). fledge's conflict handling is only tested
 * if a stale write really fails, so these checks pin the emulation itself.
 */
import {
  CreateAliasCommand,
  GetAliasCommand,
  LambdaClient,
  UpdateAliasCommand,
} from '@aws-sdk/client-lambda';
import {
  ChangeResourceRecordSetsCommand,
  type ResourceRecordSet,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createFunctionWithAlias } from '../../local/fixtures';
import { useEndpoint } from '../../local/moto';
import { createWeightedPair, createZone, listRecords } from '../../local/route53-fixtures';

beforeAll(() => useEndpoint(inject('motoEndpoint')));

describe('Lambda UpdateAlias, as AWS checks it', () => {
  it('refuses a stale RevisionId with 412 and gives every update a new one', async () => {
    await createFunctionWithAlias('semantics-alias', 'live', 3);
    const lambda = new LambdaClient({});
    const before = await lambda.send(new GetAliasCommand({ FunctionName: 'semantics-alias', Name: 'live' }));

    const updated = await lambda.send(
      new UpdateAliasCommand({
        FunctionName: 'semantics-alias',
        Name: 'live',
        FunctionVersion: '1',
        RoutingConfig: { AdditionalVersionWeights: { '2': 0.1 } },
        RevisionId: before.RevisionId,
      }),
    );
    const stale = lambda.send(
      new UpdateAliasCommand({
        FunctionName: 'semantics-alias',
        Name: 'live',
        FunctionVersion: '1',
        RoutingConfig: { AdditionalVersionWeights: { '2': 0.2 } },
        RevisionId: before.RevisionId,
      }),
    );

    expect(updated.RevisionId).not.toBe(before.RevisionId);
    await expect(stale).rejects.toMatchObject({ name: 'PreconditionFailedException' });
    const after = await lambda.send(new GetAliasCommand({ FunctionName: 'semantics-alias', Name: 'live' }));
    expect(after.RoutingConfig?.AdditionalVersionWeights).toEqual({ '2': 0.1 });
  });

  it('refuses weights Lambda refuses', async () => {
    await createFunctionWithAlias('semantics-weights', 'live', 3);
    const lambda = new LambdaClient({});
    const update = (weights: Record<string, number>) =>
      lambda.send(
        new UpdateAliasCommand({
          FunctionName: 'semantics-weights',
          Name: 'live',
          FunctionVersion: '1',
          RoutingConfig: { AdditionalVersionWeights: weights },
        }),
      );

    await expect(update({ '2': 1.5 })).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(update({ '1': 0.1 })).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    await expect(update({ '2': 0.1, '3': 0.1 })).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
    });
    await expect(
      lambda.send(
        new CreateAliasCommand({ FunctionName: 'semantics-weights', Name: 'other', FunctionVersion: '2' }),
      ),
    ).resolves.toBeDefined();
  });
});

describe('Route 53 ChangeResourceRecordSets, as AWS applies it', () => {
  let zone: string;
  const record = (name: string, id: string, weight: number, ip: string): ResourceRecordSet => ({
    Name: name,
    Type: 'A',
    SetIdentifier: id,
    Weight: weight,
    TTL: 60,
    ResourceRecords: [{ Value: ip }],
  });
  const change = (
    changes: Array<{ Action: 'CREATE' | 'DELETE' | 'UPSERT'; ResourceRecordSet: ResourceRecordSet }>,
  ) =>
    new Route53Client({}).send(
      new ChangeResourceRecordSetsCommand({ HostedZoneId: zone, ChangeBatch: { Changes: changes } }),
    );
  const weights = async (name: string) =>
    Object.fromEntries(
      (await listRecords(zone)).filter((r) => r.Name === `${name}.`).map((r) => [r.SetIdentifier, r.Weight]),
    );

  beforeAll(async () => {
    zone = await createZone('semantics.example');
    await createWeightedPair(zone, 'a.semantics.example', '192.0.2.1', '192.0.2.2');
    await createWeightedPair(zone, 'b.semantics.example', '192.0.2.3', '192.0.2.4');
  });

  it('refuses a DELETE whose values are stale, and applies nothing of that batch', async () => {
    const batch = change([
      { Action: 'DELETE', ResourceRecordSet: record('a.semantics.example', 'canary', 0, '192.0.2.2') },
      { Action: 'CREATE', ResourceRecordSet: record('a.semantics.example', 'canary', 5, '192.0.2.2') },
      { Action: 'DELETE', ResourceRecordSet: record('a.semantics.example', 'primary', 99, '192.0.2.1') },
      { Action: 'CREATE', ResourceRecordSet: record('a.semantics.example', 'primary', 95, '192.0.2.1') },
    ]);

    await expect(batch).rejects.toMatchObject({
      name: 'InvalidChangeBatch',
      message: expect.stringMatching(/do not match the current values/),
    });
    expect(await weights('a.semantics.example')).toEqual({ primary: 100, canary: 0 });
  });

  it('deletes only the record it names, not every record with that SetIdentifier', async () => {
    await change([
      { Action: 'DELETE', ResourceRecordSet: record('a.semantics.example', 'canary', 0, '192.0.2.2') },
      { Action: 'CREATE', ResourceRecordSet: record('a.semantics.example', 'canary', 10, '192.0.2.2') },
    ]);

    expect(await weights('a.semantics.example')).toEqual({ primary: 100, canary: 10 });
    expect(await weights('b.semantics.example')).toEqual({ primary: 100, canary: 0 });
  });

  it('refuses a resent batch whose first attempt landed (the DELETE is now stale)', async () => {
    const resend = [
      {
        Action: 'DELETE' as const,
        ResourceRecordSet: record('b.semantics.example', 'canary', 0, '192.0.2.4'),
      },
      {
        Action: 'CREATE' as const,
        ResourceRecordSet: record('b.semantics.example', 'canary', 20, '192.0.2.4'),
      },
    ];
    await change(resend);

    await expect(change(resend)).rejects.toMatchObject({ name: 'InvalidChangeBatch' });
    expect(await weights('b.semantics.example')).toEqual({ primary: 100, canary: 20 });
  });

  it('refuses an A record whose value is not an IPv4 address', async () => {
    await expect(
      change([{ Action: 'CREATE', ResourceRecordSet: record('c.semantics.example', 'x', 1, 'not-an-ip') }]),
    ).rejects.toMatchObject({ name: 'InvalidChangeBatch', message: expect.stringMatching(/IPv4/) });
  });
});

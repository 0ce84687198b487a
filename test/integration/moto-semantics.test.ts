/**
 * The emulator refuses what AWS refuses (local/moto_server.py). fledge's conflict handling is only tested
 * if a stale write really fails, so these checks pin the emulation itself.
 */
import {
  APIGatewayClient,
  CreateDeploymentCommand,
  GetStageCommand,
  type PatchOperation,
  UpdateStageCommand,
} from '@aws-sdk/client-api-gateway';
import { CloudWatchClient, ListMetricsCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  type Action,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  CreateAliasCommand,
  DeleteProvisionedConcurrencyConfigCommand,
  GetAliasCommand,
  GetProvisionedConcurrencyConfigCommand,
  LambdaClient,
  ListProvisionedConcurrencyConfigsCommand,
  PublishVersionCommand,
  PutFunctionConcurrencyCommand,
  PutProvisionedConcurrencyConfigCommand,
  UpdateAliasCommand,
  UpdateFunctionConfigurationCommand,
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
import { restApiWithTwoDeployments } from '../support/apigateway';

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

describe('Lambda provisioned concurrency, as Lambda documents it', () => {
  const lambda = new LambdaClient({});
  const put = (FunctionName: string, Qualifier: string, ProvisionedConcurrentExecutions: number) =>
    lambda.send(
      new PutProvisionedConcurrencyConfigCommand({
        FunctionName,
        Qualifier,
        ProvisionedConcurrentExecutions,
      }),
    );
  const get = (FunctionName: string, Qualifier: string) =>
    lambda.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName, Qualifier }));
  // local/moto_server.py makes a configuration READY one second after it is put (see its docstring).
  const untilSettled = async (FunctionName: string, Qualifier: string) => {
    for (let i = 0; i < 50; i++) {
      const config = await get(FunctionName, Qualifier);
      if (config.Status !== 'IN_PROGRESS') return config;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`provisioned concurrency on ${FunctionName}:${Qualifier} never settled`);
  };

  it('goes IN_PROGRESS, then READY with what was requested, and is listed and deleted', async () => {
    await createFunctionWithAlias('semantics-pc', 'live', 3);

    const put1 = await put('semantics-pc', 'live', 5);
    const ready = await untilSettled('semantics-pc', 'live');
    await put('semantics-pc', '2', 3);
    const listed = await lambda.send(
      new ListProvisionedConcurrencyConfigsCommand({ FunctionName: 'semantics-pc' }),
    );
    await lambda.send(
      new DeleteProvisionedConcurrencyConfigCommand({ FunctionName: 'semantics-pc', Qualifier: '2' }),
    );

    expect(put1).toMatchObject({ Status: 'IN_PROGRESS', RequestedProvisionedConcurrentExecutions: 5 });
    expect(put1.AllocatedProvisionedConcurrentExecutions).toBe(0);
    expect(ready).toMatchObject({ Status: 'READY', AllocatedProvisionedConcurrentExecutions: 5 });
    expect(listed.ProvisionedConcurrencyConfigs?.map((c) => c.FunctionArn?.split(':').pop())).toEqual([
      '2',
      'live',
    ]);
    await expect(get('semantics-pc', '2')).rejects.toMatchObject({
      name: 'ProvisionedConcurrencyConfigNotFoundException',
    });
    await expect(get('semantics-pc', 'live')).resolves.toMatchObject({ Status: 'READY' });
  });

  it('ends FAILED for a version marked to fail its initialisation', async () => {
    await createFunctionWithAlias('semantics-pc-fails', 'live', 1);
    await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'semantics-pc-fails',
        Environment: { Variables: { MOTO_PROVISIONED_CONCURRENCY: 'FAILED' } },
      }),
    );
    const broken = await lambda.send(new PublishVersionCommand({ FunctionName: 'semantics-pc-fails' }));

    await put('semantics-pc-fails', broken.Version ?? '', 2);

    expect(await untilSettled('semantics-pc-fails', broken.Version ?? '')).toMatchObject({
      Status: 'FAILED',
      StatusReason: expect.any(String),
    });
    expect(await untilSettled('semantics-pc-fails', '1').catch((e: Error) => e.name)).toBe(
      'ProvisionedConcurrencyConfigNotFoundException',
    );
  });

  it('refuses $LATEST, an alias with weights, an alias and its version both, and more than the account has', async () => {
    await createFunctionWithAlias('semantics-pc-refusals', 'live', 3);
    await lambda.send(
      new UpdateAliasCommand({
        FunctionName: 'semantics-pc-refusals',
        Name: 'live',
        FunctionVersion: '1',
        RoutingConfig: { AdditionalVersionWeights: { '2': 0.1 } },
      }),
    );
    await lambda.send(
      new CreateAliasCommand({ FunctionName: 'semantics-pc-refusals', Name: 'other', FunctionVersion: '3' }),
    );
    await put('semantics-pc-refusals', 'other', 1);

    await expect(
      lambda.send(
        new DeleteProvisionedConcurrencyConfigCommand({
          FunctionName: 'semantics-pc-refusals',
          Qualifier: 'live',
        }),
      ),
    ).rejects.toMatchObject({ message: 'Alias with weights can not be used with Provisioned Concurrency' });
    await expect(put('semantics-pc-refusals', '$LATEST', 1)).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
      message: expect.stringMatching(/unpublished function versions/),
    });
    await expect(put('semantics-pc-refusals', 'live', 1)).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
      message: 'Alias with weights can not be used with Provisioned Concurrency',
    });
    await expect(put('semantics-pc-refusals', '3', 1)).rejects.toMatchObject({
      name: 'ResourceConflictException',
    });
    await expect(put('semantics-pc-refusals', '1', 901)).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
      message: expect.stringMatching(/UnreservedConcurrentExecution/),
    });
    await expect(put('semantics-pc-refusals', '1', 0)).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(put('semantics-pc-refusals', 'nope', 1)).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await lambda.send(
      new PutFunctionConcurrencyCommand({
        FunctionName: 'semantics-pc-refusals',
        ReservedConcurrentExecutions: 2,
      }),
    );
    await expect(put('semantics-pc-refusals', '1', 3)).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
      message: expect.stringMatching(/reservedConcurrentExecution/),
    });
    const listed = await lambda.send(
      new ListProvisionedConcurrencyConfigsCommand({ FunctionName: 'semantics-pc-refusals' }),
    );
    expect(listed.ProvisionedConcurrencyConfigs?.map((c) => c.FunctionArn?.split(':').pop())).toEqual([
      'other',
    ]);
  });

  it('moves an alias provisioned concurrency to its new version, allocated anew', async () => {
    await createFunctionWithAlias('semantics-pc-moves', 'live', 2);
    await put('semantics-pc-moves', 'live', 4);
    await untilSettled('semantics-pc-moves', 'live');

    await lambda.send(
      new UpdateAliasCommand({ FunctionName: 'semantics-pc-moves', Name: 'live', FunctionVersion: '2' }),
    );

    expect(await get('semantics-pc-moves', 'live')).toMatchObject({
      Status: 'IN_PROGRESS',
      RequestedProvisionedConcurrentExecutions: 4,
    });
    expect(await untilSettled('semantics-pc-moves', 'live')).toMatchObject({
      Status: 'READY',
      AllocatedProvisionedConcurrentExecutions: 4,
    });
  });
});

describe('API Gateway REST stage canary, as API Gateway documents it', () => {
  const apigw = new APIGatewayClient({});
  const stage = async (restApiId: string) =>
    apigw.send(new GetStageCommand({ restApiId, stageName: 'prod' }));
  const update = (restApiId: string, patchOperations: PatchOperation[]) =>
    apigw.send(new UpdateStageCommand({ restApiId, stageName: 'prod', patchOperations }));

  const twoDeployments = (name: string) =>
    restApiWithTwoDeployments(name, { client: apigw, stableVariables: { backend: 'v1' } });

  it('attaches a canary, shifts it, promotes it and removes it with the documented patch paths', async () => {
    const { restApiId, stable, release } = await twoDeployments('semantics-canary');

    const attached = await update(restApiId, [
      { op: 'replace', path: '/canarySettings/deploymentId', value: release },
      { op: 'replace', path: '/canarySettings/percentTraffic', value: '10.5' },
      { op: 'replace', path: '/canarySettings/stageVariableOverrides/backend', value: 'v2' },
      { op: 'replace', path: '/canarySettings/useStageCache', value: 'true' },
    ]);
    const shifted = await update(restApiId, [
      { op: 'replace', path: '/canarySettings/percentTraffic', value: '33.33' },
    ]);
    const promoted = await update(restApiId, [
      { op: 'copy', from: '/canarySettings/deploymentId', path: '/deploymentId' },
      { op: 'copy', from: '/canarySettings/stageVariableOverrides', path: '/variables' },
      { op: 'replace', path: '/canarySettings/percentTraffic', value: '0.0' },
    ]);
    const removed = await update(restApiId, [{ op: 'remove', path: '/canarySettings' }]);

    expect(attached.deploymentId).toBe(stable);
    expect(attached.canarySettings).toEqual({
      deploymentId: release,
      percentTraffic: 10.5,
      stageVariableOverrides: { backend: 'v2' },
      useStageCache: true,
    });
    expect(shifted.canarySettings?.percentTraffic).toBe(33.33);
    expect(promoted).toMatchObject({ deploymentId: release, variables: { backend: 'v2' } });
    expect(promoted.canarySettings?.percentTraffic).toBe(0);
    expect(removed.canarySettings).toBeUndefined();
    expect((await stage(restApiId)).canarySettings).toBeUndefined();
  });

  it('refuses a percentTraffic outside 0.0-100.0 and applies nothing of that update', async () => {
    const { restApiId, release } = await twoDeployments('semantics-canary-percent');
    await update(restApiId, [
      { op: 'replace', path: '/canarySettings/deploymentId', value: release },
      { op: 'replace', path: '/canarySettings/percentTraffic', value: '5' },
    ]);

    for (const value of ['100.1', '-1', 'ten']) {
      await expect(
        update(restApiId, [
          { op: 'replace', path: '/canarySettings/stageVariableOverrides/x', value: 'y' },
          { op: 'replace', path: '/canarySettings/percentTraffic', value },
        ]),
      ).rejects.toMatchObject({
        name: 'BadRequestException',
        message: expect.stringMatching(/percentTraffic/),
      });
    }
    expect((await stage(restApiId)).canarySettings).toEqual({
      deploymentId: release,
      percentTraffic: 5,
      useStageCache: false,
    });
  });

  it('starts a canary made by an update on the stage own deployment, as the developer guide says', async () => {
    const { restApiId, stable } = await twoDeployments('semantics-canary-initial');

    const attached = await update(restApiId, [
      { op: 'replace', path: '/canarySettings/percentTraffic', value: '0.0' },
    ]);

    expect(attached.canarySettings).toEqual({
      deploymentId: stable,
      percentTraffic: 0,
      useStageCache: false,
    });
  });

  it('refuses a canary on a deployment that does not exist, and a copy from a canary that is not there', async () => {
    const { restApiId, stable, release } = await twoDeployments('semantics-canary-refusals');

    await expect(
      update(restApiId, [{ op: 'replace', path: '/canarySettings/deploymentId', value: 'nope' }]),
    ).rejects.toMatchObject({ name: 'BadRequestException' });
    await expect(
      update(restApiId, [{ op: 'copy', from: '/canarySettings/deploymentId', path: '/deploymentId' }]),
    ).rejects.toMatchObject({ name: 'BadRequestException' });
    // The CLI examples of the developer guide use these wrong paths; API Gateway refuses them.
    for (const path of ['/canary/deploymentId', '/canarySettings/stageVariableOverides/backend']) {
      await expect(update(restApiId, [{ op: 'replace', path, value: release }])).rejects.toMatchObject({
        name: 'BadRequestException',
        message: expect.stringMatching(/Invalid patch path/),
      });
    }
    expect(await stage(restApiId)).toMatchObject({ deploymentId: stable });
    expect((await stage(restApiId)).canarySettings).toBeUndefined();
  });

  it('makes a CreateDeployment with canarySettings the canary, and refuses a non-canary one while it is on', async () => {
    const { restApiId, stable } = await twoDeployments('semantics-canary-deploy');

    const canary = await apigw.send(
      new CreateDeploymentCommand({
        restApiId,
        stageName: 'prod',
        canarySettings: { percentTraffic: 20, stageVariableOverrides: { backend: 'v3' } },
      }),
    );
    const plain = apigw.send(new CreateDeploymentCommand({ restApiId, stageName: 'prod' }));

    await expect(plain).rejects.toMatchObject({
      name: 'BadRequestException',
      message: expect.stringMatching(/Non canary deployment not supported on stage prod/),
    });
    const after = await stage(restApiId);
    expect(after).toMatchObject({ deploymentId: stable, variables: { backend: 'v1' } });
    expect(after.canarySettings).toEqual({
      deploymentId: canary.id,
      percentTraffic: 20,
      stageVariableOverrides: { backend: 'v3' },
      useStageCache: false,
    });
  });

  it('refuses a canary CreateDeployment to a stage that does not exist yet', async () => {
    const { restApiId } = await twoDeployments('semantics-canary-nostage');

    await expect(
      apigw.send(
        new CreateDeploymentCommand({ restApiId, stageName: 'beta', canarySettings: { percentTraffic: 5 } }),
      ),
    ).rejects.toMatchObject({
      name: 'BadRequestException',
      message: expect.stringMatching(/must already be created/),
    });
  });

  it('keeps a stage settings when a plain CreateDeployment moves it to a new deployment', async () => {
    const { restApiId } = await twoDeployments('semantics-deploy-keeps');
    await update(restApiId, [{ op: 'replace', path: '/description', value: 'production' }]);

    const next = await apigw.send(new CreateDeploymentCommand({ restApiId, stageName: 'prod' }));

    expect(await stage(restApiId)).toMatchObject({
      deploymentId: next.id,
      description: 'production',
      variables: { backend: 'v1' },
    });
  });
});

describe('ELBv2 forward actions, as ELB takes them', () => {
  const elb = new ElasticLoadBalancingV2Client({});

  async function listenerWithRule(name: string) {
    const ec2 = new EC2Client({});
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const vpcId = vpc.Vpc?.VpcId ?? '';
    const subnets = await Promise.all(
      ['a', 'b'].map((az, i) =>
        ec2.send(
          new CreateSubnetCommand({
            VpcId: vpcId,
            CidrBlock: `10.0.${i}.0/24`,
            AvailabilityZone: `us-east-1${az}`,
          }),
        ),
      ),
    );
    const lb = await elb.send(
      new CreateLoadBalancerCommand({ Name: name, Subnets: subnets.map((s) => s.Subnet?.SubnetId ?? '') }),
    );
    const group = async (suffix: string) =>
      (
        await elb.send(
          new CreateTargetGroupCommand({
            Name: `${name}-${suffix}`,
            Protocol: 'HTTP',
            Port: 80,
            VpcId: vpcId,
          }),
        )
      ).TargetGroups?.[0]?.TargetGroupArn ?? '';
    const groups = [
      await group('a'),
      await group('b'),
      await group('c'),
      await group('d'),
      await group('e'),
      await group('f'),
    ];
    const listener = await elb.send(
      new CreateListenerCommand({
        LoadBalancerArn: lb.LoadBalancers?.[0]?.LoadBalancerArn,
        Protocol: 'HTTP',
        Port: 80,
        DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }],
      }),
    );
    const rule = await elb.send(
      new CreateRuleCommand({
        ListenerArn: listener.Listeners?.[0]?.ListenerArn,
        Priority: 10,
        Conditions: [{ Field: 'path-pattern', Values: ['/api/*'] }],
        Actions: [forward([[groups[0] ?? '', 1]])],
      }),
    );
    return {
      ruleArn: rule.Rules?.[0]?.RuleArn ?? '',
      listenerArn: listener.Listeners?.[0]?.ListenerArn ?? '',
      groups,
      ec2,
    };
  }

  const forward = (weights: Array<[string, number]>, order = 1): Action => ({
    Type: 'forward',
    Order: order,
    ForwardConfig: {
      TargetGroups: weights.map(([TargetGroupArn, Weight]) => ({ TargetGroupArn, Weight })),
      TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
    },
  });
  const actionsOf = async (ruleArn: string) =>
    (await elb.send(new DescribeRulesCommand({ RuleArns: [ruleArn] }))).Rules?.[0]?.Actions;

  it('takes weights 0-999 and refuses 1000, or more than five target groups, changing nothing', async () => {
    const { ruleArn, groups } = await listenerWithRule('semantics-elb');
    const [a = '', b = ''] = groups;
    const modify = (actions: Action[]) =>
      elb.send(new ModifyRuleCommand({ RuleArn: ruleArn, Actions: actions }));

    await modify([
      forward([
        [a, 999],
        [b, 0],
      ]),
    ]);
    // Each refusal is awaited before the next request is sent: a second promise left pending while the
    // first is awaited would reject with no handler yet attached (an unhandled rejection in vitest).
    await expect(
      modify([
        forward([
          [a, 1000],
          [b, 0],
        ]),
      ]),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/999/),
    });
    await expect(modify([forward(groups.map((g) => [g, 1]))])).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/5 target groups/),
    });
    const forwardConfig = (await actionsOf(ruleArn))?.[0]?.ForwardConfig;
    expect(forwardConfig?.TargetGroups?.map((g) => [g.TargetGroupArn, g.Weight])).toEqual([
      [a, 999],
      [b, 0],
    ]);
  });

  it('refuses a weight above 999 in a listener default action too, changing nothing', async () => {
    const { listenerArn, groups } = await listenerWithRule('semantics-elb-listener');
    const [a = '', b = ''] = groups;

    const modify = elb.send(
      new ModifyListenerCommand({
        ListenerArn: listenerArn,
        Port: 8080,
        DefaultActions: [
          forward([
            [a, 1000],
            [b, 1],
          ]),
        ],
      }),
    );

    await expect(modify).rejects.toMatchObject({ name: 'ValidationError' });
    const listener = (await elb.send(new DescribeListenersCommand({ ListenerArns: [listenerArn] })))
      .Listeners?.[0];
    expect(listener?.Port).toBe(80);
    expect(listener?.DefaultActions?.map((x) => x.Type)).toEqual(['fixed-response']);
  });

  it('keeps the whole action list ModifyRule is given: authenticate action, order and stickiness', async () => {
    const { ruleArn, groups } = await listenerWithRule('semantics-elb-keep');
    const [a = '', b = ''] = groups;
    const authenticate: Action = {
      Type: 'authenticate-oidc',
      Order: 1,
      AuthenticateOidcConfig: {
        Issuer: 'https://idp.example.com',
        AuthorizationEndpoint: 'https://idp.example.com/authorize',
        TokenEndpoint: 'https://idp.example.com/token',
        UserInfoEndpoint: 'https://idp.example.com/userinfo',
        ClientId: 'fledge',
        ClientSecret: 'secret',
      },
    };

    await elb.send(
      new ModifyRuleCommand({
        RuleArn: ruleArn,
        Actions: [
          authenticate,
          forward(
            [
              [a, 90],
              [b, 10],
            ],
            2,
          ),
        ],
      }),
    );

    const actions = await actionsOf(ruleArn);
    expect(actions?.map((x) => [x.Type, x.Order])).toEqual([
      ['authenticate-oidc', 1],
      ['forward', 2],
    ]);
    expect(actions?.[0]?.AuthenticateOidcConfig?.Issuer).toBe('https://idp.example.com');
    expect(actions?.[1]?.ForwardConfig).toMatchObject({
      TargetGroups: [
        { TargetGroupArn: a, Weight: 90 },
        { TargetGroupArn: b, Weight: 10 },
      ],
      TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
    });
  });

  it('answers DescribeTargetHealth for the targets registered', async () => {
    const { groups, ec2 } = await listenerWithRule('semantics-elb-health');
    const images = await ec2.send(new DescribeImagesCommand({}));
    const run = await ec2.send(
      new RunInstancesCommand({ ImageId: images.Images?.[0]?.ImageId, MinCount: 1, MaxCount: 1 }),
    );
    const instance = run.Instances?.[0]?.InstanceId ?? '';

    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: groups[1], Targets: [{ Id: instance }] }));

    const health = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: groups[1] }));
    expect(health.TargetHealthDescriptions?.map((d) => [d.Target?.Id, d.TargetHealth?.State])).toEqual([
      [instance, 'healthy'],
    ]);
    const empty = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: groups[2] }));
    expect(empty.TargetHealthDescriptions).toEqual([]);
  });
});

describe('CloudWatch ListMetrics, as CloudWatch lists series', () => {
  it('lists a series of several dimensions once however many data points it has', async () => {
    const cloudWatch = new CloudWatchClient({});
    const dimensions = [
      { Name: 'ApiName', Value: 'semantics-list' },
      { Name: 'Stage', Value: 'prod' },
    ];
    for (let minute = 0; minute < 5; minute++) {
      await cloudWatch.send(
        new PutMetricDataCommand({
          Namespace: 'Semantics/List',
          MetricData: [
            {
              MetricName: 'Count',
              Dimensions: dimensions,
              Value: 10,
              Timestamp: new Date(Date.now() - minute * 60_000),
            },
            {
              MetricName: 'Count',
              Dimensions: [dimensions[0] as { Name: string; Value: string }],
              Value: 1,
              Timestamp: new Date(Date.now() - minute * 60_000),
            },
          ],
        }),
      );
    }

    const listed = await cloudWatch.send(
      new ListMetricsCommand({ Namespace: 'Semantics/List', MetricName: 'Count' }),
    );

    const series = (listed.Metrics ?? []).map((m) =>
      (m.Dimensions ?? [])
        .map((d) => `${d.Name}=${d.Value}`)
        .sort()
        .join(','),
    );
    expect(series.sort()).toEqual(['ApiName=semantics-list', 'ApiName=semantics-list,Stage=prod']);
  });
});

describe('DynamoDB TransactWriteItems, as DynamoDB applies it', () => {
  const dynamo = new DynamoDBClient({});
  const TABLE_NAME = 'semantics-transactions';
  const item = (pk: string, n: string) => ({ pk: { S: pk }, n: { N: n } });
  const read = async (pk: string) =>
    (
      await dynamo.send(
        new GetItemCommand({ TableName: TABLE_NAME, Key: { pk: { S: pk } }, ConsistentRead: true }),
      )
    ).Item;

  beforeAll(async () => {
    await dynamo.send(
      new CreateTableCommand({
        TableName: TABLE_NAME,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await dynamo.send(new PutItemCommand({ TableName: TABLE_NAME, Item: item('kept', '1') }));
    await dynamo.send(new PutItemCommand({ TableName: TABLE_NAME, Item: item('busy', '1') }));
  });

  it('applies none of a cancelled transaction: its new item and its update are undone, the refused item unchanged', async () => {
    const cancelled = dynamo
      .send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Put: {
                TableName: TABLE_NAME,
                Item: item('fresh', '1'),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Update: {
                TableName: TABLE_NAME,
                Key: { pk: { S: 'kept' } },
                UpdateExpression: 'SET n = :two',
                ExpressionAttributeValues: { ':two': { N: '2' } },
              },
            },
            {
              Put: {
                TableName: TABLE_NAME,
                Item: item('busy', '2'),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      )
      .catch((error: Error & { CancellationReasons?: Array<{ Code?: string }> }) => error);
    const refused = await cancelled;

    expect(refused).toMatchObject({ name: 'TransactionCanceledException' });
    expect(
      (refused as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons?.map((r) => r.Code),
    ).toEqual(['None', 'None', 'ConditionalCheckFailed']);
    expect(await read('fresh')).toBeUndefined();
    expect(await read('kept')).toEqual(item('kept', '1'));
    expect(await read('busy')).toEqual(item('busy', '1'));
  });

  it('applies all of a transaction that passes', async () => {
    await dynamo.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Put: {
              TableName: TABLE_NAME,
              Item: item('second', '1'),
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          { Delete: { TableName: TABLE_NAME, Key: { pk: { S: 'busy' } } } },
        ],
      }),
    );

    expect(await read('second')).toEqual(item('second', '1'));
    expect(await read('busy')).toBeUndefined();
  });
});

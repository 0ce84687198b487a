/**
 * The Lambda-alias router's provisioned concurrency calls against a mocked SDK: what Plan reads, the
 * request and its status, the removal with its read-back, and what it leaves when someone else changed it.
 */
import {
  DeleteProvisionedConcurrencyConfigCommand,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  GetProvisionedConcurrencyConfigCommand,
  InvalidParameterValueException,
  LambdaClient,
  ListVersionsByFunctionCommand,
  ProvisionedConcurrencyConfigNotFoundException,
  PutProvisionedConcurrencyConfigCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Provisioned } from '../../shared/core/provisioned';
import { LambdaAliasRouter } from '../../shared/targets/lambda-alias/router';

const lambda = mockClient(LambdaClient);
const target = { type: 'lambda-alias' as const, functionName: 'checkout', alias: 'live', version: '7' };
const router = () => new LambdaAliasRouter(target, new LambdaClient({ region: 'us-east-1' }));
const plan: Provisioned = {
  version: '7',
  count: 3,
  basis: 'x',
  status: 'planned',
  requestedAt: '2026-01-01T00:00:00Z',
};
const notFound = () =>
  new ProvisionedConcurrencyConfigNotFoundException({
    message: 'No Provisioned Concurrency Config found',
    $metadata: {},
  });

/** Provisioned concurrency per qualifier, following Put and Delete like Lambda. */
function liveConfigs(initial: Record<string, { count: number; status: string }>) {
  const configs = { ...initial };
  lambda.on(GetProvisionedConcurrencyConfigCommand).callsFake(async (input) => {
    const config = configs[input.Qualifier];
    if (!config) throw notFound();
    return { RequestedProvisionedConcurrentExecutions: config.count, Status: config.status };
  });
  lambda.on(PutProvisionedConcurrencyConfigCommand).callsFake(async (input) => {
    configs[input.Qualifier] = { count: input.ProvisionedConcurrentExecutions, status: 'IN_PROGRESS' };
    return {
      RequestedProvisionedConcurrentExecutions: input.ProvisionedConcurrentExecutions,
      Status: 'IN_PROGRESS',
    };
  });
  lambda.on(DeleteProvisionedConcurrencyConfigCommand).callsFake(async (input) => {
    if (!configs[input.Qualifier]) throw notFound();
    delete configs[input.Qualifier];
    return {};
  });
  return configs;
}

beforeEach(() => {
  lambda.reset();
  lambda.on(GetFunctionConfigurationCommand).resolves({ FunctionName: 'checkout' });
  lambda.on(ListVersionsByFunctionCommand).resolves({ Versions: [{ Version: '6' }, { Version: '7' }] });
  lambda.on(GetAliasCommand).resolves({ FunctionVersion: '6', RevisionId: 'rev-1' });
});

describe('LambdaAliasRouter.prepare reads provisioned concurrency', () => {
  it("reads the alias's and the new version's own, writing nothing", async () => {
    liveConfigs({ live: { count: 20, status: 'READY' } });

    const context = await router().prepare();

    expect(context.provisioned).toEqual({ stable: 20, canary: 0 });
    const asked = lambda
      .commandCalls(GetProvisionedConcurrencyConfigCommand)
      .map((c) => c.args[0].input.Qualifier);
    expect(asked.sort()).toEqual(['7', 'live']);
    expect(lambda.commandCalls(PutProvisionedConcurrencyConfigCommand)).toHaveLength(0);
  });

  it('leaves the context as before when neither has any', async () => {
    liveConfigs({});

    expect(await router().prepare()).toEqual({ baseline: '6', canary: '7', weight: 0, revision: 'rev-1' });
  });
});

describe('LambdaAliasRouter.provision', () => {
  it('asks once, then reads the status on each later pass', async () => {
    const configs = liveConfigs({});

    expect(await router().provision(plan)).toEqual({ status: 'IN_PROGRESS' });
    configs['7'] = { count: 3, status: 'READY' };
    expect(await router().provision(plan)).toEqual({ status: 'READY' });

    const put = lambda.commandCalls(PutProvisionedConcurrencyConfigCommand);
    expect(put).toHaveLength(1);
    expect(put[0]?.args[0].input).toEqual({
      FunctionName: 'checkout',
      Qualifier: '7',
      ProvisionedConcurrentExecutions: 3,
    });
  });

  it("reports FAILED with Lambda's reason", async () => {
    lambda.on(GetProvisionedConcurrencyConfigCommand).resolves({
      RequestedProvisionedConcurrentExecutions: 3,
      Status: 'FAILED',
      StatusReason: 'FUNCTION_ERROR_INIT_FAILURE',
    });

    expect(await router().provision(plan)).toEqual({
      status: 'FAILED',
      reason: 'FUNCTION_ERROR_INIT_FAILURE',
    });
  });

  it('does not overwrite a configuration someone else put on the version', async () => {
    liveConfigs({ '7': { count: 50, status: 'READY' } });

    const read = await router().provision(plan);

    expect(read.status).toBe('FAILED');
    expect(read.reason).toMatch(
      /version 7 has 50 provisioned concurrency that fledge did not set \(it asked for 3\)/,
    );
    expect(lambda.commandCalls(PutProvisionedConcurrencyConfigCommand)).toHaveLength(0);
  });

  it("turns Lambda's refusal into FAILED with its words, and throttling into a retry", async () => {
    liveConfigs({});
    lambda.on(PutProvisionedConcurrencyConfigCommand).rejectsOnce(
      new InvalidParameterValueException({
        message:
          "Specified ConcurrentExecutions for function is greater than account's unreserved concurrency",
        $metadata: {},
      }),
    );

    const refused = await router().provision(plan);
    expect(refused.status).toBe('FAILED');
    expect(refused.reason).toMatch(
      /Lambda refused 3 provisioned concurrency on version 7: InvalidParameterValueException/,
    );

    lambda
      .on(PutProvisionedConcurrencyConfigCommand)
      .rejects(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} }));
    await expect(router().provision(plan)).rejects.toMatchObject({ name: 'TransientAwsError' });
  });
});

describe('LambdaAliasRouter.unprovision', () => {
  it('removes what fledge asked for and reads back that it is gone', async () => {
    const configs = liveConfigs({ '7': { count: 3, status: 'READY' }, live: { count: 20, status: 'READY' } });

    const done = await router().unprovision(plan);

    expect(done).toEqual({
      removed: true,
      detail: 'removed the 3 provisioned concurrency of version 7 of checkout',
    });
    expect(configs).toEqual({ live: { count: 20, status: 'READY' } });
    expect(lambda.commandCalls(GetProvisionedConcurrencyConfigCommand).at(-1)?.args[0].input.Qualifier).toBe(
      '7',
    );
  });

  it('counts a removal already done as success (a retried step)', async () => {
    liveConfigs({});

    expect(await router().unprovision(plan)).toMatchObject({
      removed: true,
      detail: expect.stringMatching(/already removed/),
    });
    expect(lambda.commandCalls(DeleteProvisionedConcurrencyConfigCommand)).toHaveLength(0);
  });

  it('leaves a configuration someone else changed, and says so', async () => {
    const configs = liveConfigs({ '7': { count: 10, status: 'READY' } });

    const done = await router().unprovision(plan);

    expect(done.removed).toBe(false);
    expect(done.detail).toMatch(
      /now has 10 provisioned concurrency, which fledge did not set \(it set 3\); left as it is/,
    );
    expect(configs['7']).toEqual({ count: 10, status: 'READY' });
  });

  it('fails when the read-back still finds it', async () => {
    liveConfigs({ '7': { count: 3, status: 'READY' } });
    lambda.on(DeleteProvisionedConcurrencyConfigCommand).resolves({});

    await expect(router().unprovision(plan)).rejects.toMatchObject({ name: 'WeightVerificationError' });
  });
});

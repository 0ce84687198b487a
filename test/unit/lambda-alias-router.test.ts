/**
 * The Lambda-alias router against a mocked SDK, for what moto does not emulate: RevisionId conflicts,
 * throttling, and weights that do not read back.
 */
import {
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListVersionsByFunctionCommand,
  PreconditionFailedException,
  ResourceNotFoundException,
  ServiceException,
  TooManyRequestsException,
  UpdateAliasCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import type { TrafficContext } from '../../shared/core/ports';
import { DeployInputSchema } from '../../shared/core/schema';
import { LambdaAliasRouter } from '../../shared/targets/lambda-alias/router';

const lambda = mockClient(LambdaClient);
const target = { type: 'lambda-alias' as const, functionName: 'checkout', alias: 'live', version: '7' };
const router = () => new LambdaAliasRouter(target, new LambdaClient({ region: 'us-east-1' }));
const alias = (version: string, weights: Record<string, number> = {}, revision = 'rev-1') => ({
  FunctionVersion: version,
  RoutingConfig: { AdditionalVersionWeights: weights },
  RevisionId: revision,
});
const published = (versions: string[]) =>
  lambda
    .on(ListVersionsByFunctionCommand)
    .resolves({ Versions: ['$LATEST', ...versions].map((Version) => ({ Version })) });

/** An alias whose state follows the UpdateAlias calls, like the real one; each write gets a new RevisionId. */
function liveAlias(initial: ReturnType<typeof alias>) {
  let state = initial;
  let revision = 1;
  lambda.on(GetAliasCommand).callsFake(async () => state);
  lambda.on(UpdateAliasCommand).callsFake(async (input) => {
    revision += 1;
    state = alias(
      input.FunctionVersion,
      input.RoutingConfig?.AdditionalVersionWeights ?? {},
      `rev-${revision}`,
    );
    return state;
  });
  return { set: (next: ReturnType<typeof alias>) => (state = next) };
}

const context = (weight: number, revision = 'rev-1'): TrafficContext => ({
  baseline: '6',
  canary: '7',
  weight,
  revision,
});

beforeEach(() => {
  lambda.reset();
  lambda.on(GetFunctionConfigurationCommand).resolves({ FunctionName: 'checkout' });
});

describe('LambdaAliasRouter.prepare', () => {
  it('reads the baseline and the RevisionId, changing nothing', async () => {
    published(['1', '2', '3', '4', '5', '6', '7']);
    lambda.on(GetAliasCommand).resolves(alias('6'));

    const prepared = await router().prepare();

    expect(prepared).toEqual({ baseline: '6', canary: '7', weight: 0, revision: 'rev-1' });
    expect(lambda.commandCalls(UpdateAliasCommand)).toHaveLength(0);
  });

  it('says how long a request of either version may run: the longer of their timeouts', async () => {
    lambda.on(ListVersionsByFunctionCommand).resolves({
      Versions: [
        { Version: '$LATEST', Timeout: 900 },
        { Version: '5', Timeout: 900 },
        { Version: '6', Timeout: 30 },
        { Version: '7', Timeout: 300 },
      ],
    });
    lambda.on(GetAliasCommand).resolves(alias('6'));

    const prepared = await router().prepare();

    expect(prepared.requestSeconds).toBe(300);
  });

  it.each([
    [
      'an unknown function',
      () =>
        lambda
          .on(GetFunctionConfigurationCommand)
          .rejects(new ResourceNotFoundException({ message: 'Function not found', $metadata: {} })),
      /'checkout' is not a Lambda function/,
    ],
    [
      'an unpublished version',
      () => {
        published(['1', '2', '3', '5', '6']);
        lambda.on(GetAliasCommand).resolves(alias('6'));
      },
      /'7' is not a published version of checkout \(published: 1-3, 5-6\)/,
    ],
    [
      'a missing alias',
      () => {
        published(['6', '7']);
        lambda
          .on(GetAliasCommand)
          .rejects(new ResourceNotFoundException({ message: 'Alias not found', $metadata: {} }));
      },
      /alias 'live' does not exist on checkout/,
    ],
    [
      'the version the alias already runs',
      () => {
        published(['6', '7']);
        lambda.on(GetAliasCommand).resolves(alias('7'));
      },
      /already the version of alias live/,
    ],
    [
      'an alias already routing',
      () => {
        published(['5', '6', '7']);
        lambda.on(GetAliasCommand).resolves(alias('6', { '5': 0.25 }));
      },
      /already routes 25% to version 5/,
    ],
    [
      'an alias on $LATEST',
      () => {
        published(['6', '7']);
        lambda.on(GetAliasCommand).resolves(alias('$LATEST'));
      },
      /baseline must be a published version/,
    ],
  ])('refuses %s', async (_name, setup, message) => {
    setup();

    await expect(router().prepare()).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringMatching(message),
    });
    expect(lambda.commandCalls(UpdateAliasCommand)).toHaveLength(0);
  });
});

describe('LambdaAliasRouter writes', () => {
  it('sends the RevisionId it read on every update, and reads the weights back', async () => {
    liveAlias(alias('6'));

    const applied = await router().setWeight(10, context(0));

    const update = lambda.commandCalls(UpdateAliasCommand)[0]?.args[0].input;
    expect(update).toEqual({
      FunctionName: 'checkout',
      Name: 'live',
      FunctionVersion: '6',
      RoutingConfig: { AdditionalVersionWeights: { '7': 0.1 } },
      RevisionId: 'rev-1',
    });
    expect(applied).toMatchObject({ weight: 10, revision: 'rev-2' });
  });

  it('routes 100% by making the canary the alias version, then promotes without another write', async () => {
    liveAlias(alias('6', { '7': 0.5 }, 'rev-1'));

    const applied = await router().setWeight(100, context(50));
    const promoted = await router().promote({ ...context(100, applied.revision) });

    expect(lambda.commandCalls(UpdateAliasCommand)[0]?.args[0].input).toMatchObject({
      FunctionVersion: '7',
      RoutingConfig: { AdditionalVersionWeights: {} },
    });
    expect(applied.weight).toBe(100);
    expect(promoted.detail).toBe('already promoted');
    expect(lambda.commandCalls(UpdateAliasCommand)).toHaveLength(1);
  });

  it('stops with TrafficConflictError when Lambda refuses a stale RevisionId', async () => {
    lambda.on(GetAliasCommand).resolves(alias('6', { '7': 0.1 }, 'rev-2'));
    lambda
      .on(UpdateAliasCommand)
      .rejects(
        new PreconditionFailedException({ message: 'The RevisionId provided does not match', $metadata: {} }),
      );

    await expect(router().setWeight(20, context(10, 'rev-2'))).rejects.toMatchObject({
      name: 'TrafficConflictError',
      message: expect.stringMatching(/changed while fledge was updating it/),
    });
  });

  it('takes a refused resend of its own landed write as success, not a conflict', async () => {
    // The first UpdateAlias landed but its response was lost; the SDK's resend carried the old
    // RevisionId, which Lambda refuses. What the caller sees is the 412.
    const state = liveAlias(alias('6', { '7': 0.1 }, 'rev-2'));
    lambda.on(UpdateAliasCommand).callsFake(async (input) => {
      state.set(alias('6', input.RoutingConfig?.AdditionalVersionWeights ?? {}, 'rev-3'));
      throw new PreconditionFailedException({
        message: 'The RevisionId provided does not match',
        $metadata: {},
      });
    });

    const applied = await router().setWeight(20, context(10, 'rev-2'));

    expect(applied).toMatchObject({ weight: 20, revision: 'rev-3' });
    expect(applied.detail).toMatch(/the write had landed; its response was lost/);
  });

  it('names what the other writer left when a stale RevisionId was someone else', async () => {
    const state = liveAlias(alias('6', { '7': 0.1 }, 'rev-2'));
    lambda.on(UpdateAliasCommand).callsFake(async () => {
      state.set(alias('5', {}, 'rev-7'));
      throw new PreconditionFailedException({
        message: 'The RevisionId provided does not match',
        $metadata: {},
      });
    });

    await expect(router().setWeight(20, context(10, 'rev-2'))).rejects.toMatchObject({
      name: 'TrafficConflictError',
      message: expect.stringMatching(
        /it now routes 100% to version 5 \(revision rev-7\), which fledge did not write/,
      ),
    });
  });

  it('stops without writing when someone else changed the alias since the last step', async () => {
    lambda.on(GetAliasCommand).resolves(alias('6', { '7': 0.5 }, 'rev-9'));

    await expect(router().setWeight(20, context(10, 'rev-2'))).rejects.toMatchObject({
      name: 'TrafficConflictError',
      message: expect.stringMatching(
        /expected 90% to version 6, 10% to version 7 at revision rev-2, found 50% to version 6, 50% to version 7/,
      ),
    });
    expect(lambda.commandCalls(UpdateAliasCommand)).toHaveLength(0);
  });

  it('fails verification when the weights do not read back', async () => {
    lambda
      .on(GetAliasCommand)
      .resolvesOnce(alias('6'))
      .resolves(alias('6', { '7': 0.3 }, 'rev-2'));
    lambda.on(UpdateAliasCommand).resolves(alias('6', { '7': 0.3 }, 'rev-2'));

    await expect(router().setWeight(10, context(0))).rejects.toMatchObject({
      name: 'WeightVerificationError',
    });
  });

  it.each([
    [
      'throttling',
      new TooManyRequestsException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }),
    ],
    [
      'a service error',
      new ServiceException({ message: 'Internal error', $metadata: { httpStatusCode: 500 } }),
    ],
  ])('turns %s into TransientAwsError, which the state machine retries', async (_name, error) => {
    lambda.on(GetAliasCommand).resolves(alias('6'));
    lambda.on(UpdateAliasCommand).rejects(error);

    await expect(router().setWeight(10, context(0))).rejects.toMatchObject({ name: 'TransientAwsError' });
  });

  it('is idempotent: a retried step whose write already landed does not write again', async () => {
    lambda.on(GetAliasCommand).resolves(alias('6', { '7': 0.1 }, 'rev-2'));

    const applied = await router().setWeight(10, context(0, 'rev-1'));

    expect(applied.weight).toBe(10);
    expect(lambda.commandCalls(UpdateAliasCommand)).toHaveLength(0);
  });

  it('promotes: the new version with empty routing', async () => {
    liveAlias(alias('6', { '7': 0.9 }, 'rev-5'));

    const applied = await router().promote(context(90, 'rev-5'));

    expect(lambda.commandCalls(UpdateAliasCommand)[0]?.args[0].input).toMatchObject({
      FunctionVersion: '7',
      RoutingConfig: { AdditionalVersionWeights: {} },
      RevisionId: 'rev-5',
    });
    expect(applied.weight).toBe(100);
  });

  it('rolls back: the baseline with empty routing, from any split this rollout wrote', async () => {
    const live = liveAlias(alias('6', { '7': 0.3 }, 'rev-3'));

    const applied = await router().rollback(context(30, 'rev-3'));
    live.set(alias('7', {}, 'rev-8'));
    const afterPromotion = await router().rollback(context(100, 'rev-8'));

    expect(applied.weight).toBe(0);
    expect(afterPromotion.weight).toBe(0);
    expect(lambda.commandCalls(UpdateAliasCommand).map((c) => c.args[0].input.FunctionVersion)).toEqual([
      '6',
      '6',
    ]);
  });

  it('refuses to roll back over a split someone else made', async () => {
    lambda.on(GetAliasCommand).resolves(alias('8', {}, 'rev-9'));

    await expect(router().rollback(context(30, 'rev-3'))).rejects.toMatchObject({
      name: 'TrafficConflictError',
    });
    expect(lambda.commandCalls(UpdateAliasCommand)).toHaveLength(0);
  });

  it('recognises its own split at the next step for any weight the schema accepts', async () => {
    // The state carries the applied weight as the router reports it; the next step compares the alias
    // with it. Any weight Plan lets through must come back as the same split, or the run stops on a
    // conflict with itself.
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 99_998 }).map((k) => k / 1000),
        async (weight) => {
          lambda.reset();
          const steps = {
            steps: [
              { weight, bakeMinutes: 1 },
              { weight: 99.999, bakeMinutes: 1 },
            ],
          };
          const input = { target: { ...target }, strategy: steps };
          expect(DeployInputSchema.safeParse(input).success).toBe(true);
          liveAlias(alias('6', {}, 'rev-1'));

          const first = await router().setWeight(weight, context(0));
          const second = await router().setWeight(99.999, context(first.weight, first.revision));
          const promoted = await router().promote(context(second.weight, second.revision));

          expect(first.weight).toBe(weight);
          expect(promoted.weight).toBe(100);
        },
      ),
      { numRuns: 200 },
    );
  });
});

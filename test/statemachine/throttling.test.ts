/**
 * Throttling end to end: the real Lambda-alias router gets a TooManyRequestsException from the SDK,
 * turns it into TransientAwsError, and the state machine's Retry runs the step again.
 */
import {
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListVersionsByFunctionCommand,
  TooManyRequestsException,
  UpdateAliasCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { expect, it } from 'vitest';
import { runLocal } from '../../cli/local/runner';
import { toReport } from '../../cli/reports/progress';
import type { LambdaAliasTarget } from '../../shared/core/schema';
import { LambdaAliasRouter } from '../../shared/targets/lambda-alias/router';
import { FakeMetrics, FakeRouter, fakeDeps, steadyMinute } from '../support/fakes';

it('retries a throttled UpdateAlias through the state machine and promotes', async () => {
  // Prepare: an alias on version 1 whose state follows the writes; the first UpdateAlias is throttled.
  const lambda = mockClient(LambdaClient);
  let state = {
    FunctionVersion: '1',
    RoutingConfig: { AdditionalVersionWeights: {} as Record<string, number> },
    RevisionId: 'r1',
  };
  lambda.on(GetFunctionConfigurationCommand).resolves({});
  lambda.on(ListVersionsByFunctionCommand).resolves({ Versions: [{ Version: '1' }, { Version: '2' }] });
  lambda.on(GetAliasCommand).callsFake(async () => state);
  lambda
    .on(UpdateAliasCommand)
    .rejectsOnce(
      new TooManyRequestsException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }),
    )
    .callsFake(async (input) => {
      state = {
        FunctionVersion: input.FunctionVersion,
        RoutingConfig: { AdditionalVersionWeights: input.RoutingConfig?.AdditionalVersionWeights ?? {} },
        RevisionId: `r${Number(state.RevisionId.slice(1)) + 1}`,
      };
      return state;
    });
  const weight = () =>
    state.FunctionVersion === '2' ? 100 : (state.RoutingConfig.AdditionalVersionWeights['2'] ?? 0) * 100;
  const metrics = new FakeMetrics((at) => steadyMinute(at, 1000, Math.max(weight(), 10) / 100, 0.005, 0.005));
  const deps = fakeDeps(new FakeRouter(), metrics);
  const router = (target: unknown) =>
    new LambdaAliasRouter(target as LambdaAliasTarget, new LambdaClient({ region: 'us-east-1' }));
  const retried: string[] = [];

  // Act
  const result = await runLocal({
    input: { target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' } },
    deps: { ...deps, router },
    virtualClock: deps.clock,
    onEvent: (event) => {
      if (event.type === 'StateRetried') retried.push(event.state.name);
    },
  });

  // Assess
  expect(retried).toEqual(['SetWeight']);
  expect(toReport(result).outcome).toBe('promoted');
  expect(state).toMatchObject({ FunctionVersion: '2', RoutingConfig: { AdditionalVersionWeights: {} } });
  expect(lambda.commandCalls(UpdateAliasCommand).map((c) => c.args[0].input.RevisionId)).toEqual([
    'r1',
    'r1',
    'r2',
  ]);
  lambda.restore();
});

/**
 * Someone changes the alias by hand in the middle of a rollout: fledge must stop without writing and
 * leave the operator's change in place. Real router, real state machine, moto.
 */
import { LambdaClient, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { beforeAll, expect, inject, it } from 'vitest';
import { runLocal } from '../../cli/local/runner';
import { toReport } from '../../cli/reports/progress';
import { defaultDeps } from '../../cli/shared/wiring';
import { createFunctionWithAlias } from '../../local/fixtures';
import { useEndpoint } from '../../local/moto';
import { VirtualClock } from '../../shared/core/clock';
import { publishLambdaMinutes, readAlias } from '../support/aws';

const START = new Date('2026-11-03T08:00:00.000Z');

beforeAll(async () => {
  useEndpoint(inject('motoEndpoint'));
  await createFunctionWithAlias('conflict-fn', 'live', 3);
  await publishLambdaMinutes('conflict-fn', 'live', START, 30, {
    '1': { requests: 900, errors: 4 },
    '2': { requests: 100, errors: 0 },
  });
});

it('stops without writing when an operator changes the alias mid-rollout', async () => {
  // Prepare: after the second weight change, an operator pins the alias to version 3.
  const clock = new VirtualClock(START);
  const lambda = new LambdaClient({});
  let setWeights = 0;
  const input = {
    target: { type: 'lambda-alias', functionName: 'conflict-fn', alias: 'live', version: '2' },
    strategy: 'Linear10PercentEvery1Minute',
  };

  // Act
  const result = await runLocal({
    input,
    deps: { ...defaultDeps(), clock },
    virtualClock: clock,
    taskOverrides: {
      SetWeight: async (taskInput, real) => {
        setWeights += 1;
        if (setWeights === 3) {
          await lambda.send(
            new UpdateAliasCommand({
              FunctionName: 'conflict-fn',
              Name: 'live',
              FunctionVersion: '3',
              RoutingConfig: { AdditionalVersionWeights: {} },
            }),
          );
        }
        return real(taskInput);
      },
    },
  });

  // Assess
  expect(result.error).toBe('fledge.TrafficConflict');
  const report = toReport(result);
  expect(report.outcome).toBe('stopped');
  expect(report.reason).toMatch(/changed by someone else.*found 100% to version 3/);
  expect(await readAlias('conflict-fn', 'live')).toEqual({ version: '3', weights: {} });
  expect(result.path).not.toContain('Rollback');
});

/**
 * An interrupted rollout is restored: `fledge run` stopped mid-bake, a second signal and `fledge
 * recover`, and the deployed recover function fed the real status-change event of an execution
 * stopped in moto's Step Functions. Against moto with AWS's write checks (local/moto_server.py).
 */

import { LambdaClient, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { lambdaContext } from '../../cli/local/runner';
import { wireDeps } from '../../cli/shared/wiring';
import { createHandler as recoverHandler } from '../../functions/recover/handler';
import { createFunctionWithAlias, createRolloutTable } from '../../local/fixtures';
import { useEndpoint } from '../../local/moto';
import { stepFunctionsExecutions } from '../../shared/aws/executions';
import { DynamoDbRolloutRecords } from '../../shared/aws/records';
import { VirtualClock } from '../../shared/core/clock';
import { TASK_SETTLE_SECONDS } from '../../shared/lambda/timeouts';
import { plan } from '../../shared/steps/plan';
import { type RolloutState, setWeight } from '../../shared/steps/rollout';
import { publishLambdaMinutes, readAlias, statusChangeEvent } from '../support/aws';
import { fledgeCli, fledgeRun, inputFileOf, spawnFledge } from '../support/cli';
import { newerKinds } from '../support/target-kinds';

const START = new Date('2026-11-09T10:00:00.000Z');
const TABLE = 'fledge-recovery-test';

const release = (functionName: string) => ({
  target: { type: 'lambda-alias', functionName, alias: 'live', version: '2' },
  strategy: { steps: [{ weight: 30, bakeMinutes: 5 }] },
});

async function healthy(name: string) {
  await createFunctionWithAlias(name, 'live', 2);
  await publishLambdaMinutes(name, 'live', START, 40, {
    '1': { requests: 900, errors: 4 },
    '2': { requests: 100, errors: 0 },
  });
}

beforeAll(async () => {
  useEndpoint(inject('motoEndpoint'));
  await createRolloutTable(TABLE);
});

describe('fledge run, interrupted', () => {
  it('restores the baseline on the first Ctrl-C mid-bake and exits 1', async () => {
    await healthy('sigint-fn');
    const run = spawnFledge('run', release('sigint-fn'), []);
    await run.waitFor(/step 1\/1: 30% to version 2/);
    expect(await readAlias('sigint-fn', 'live')).toEqual({ version: '1', weights: { '2': 0.3 } });

    run.child.kill('SIGINT');
    const code = await run.exited;

    expect(code).toBe(1);
    expect(run.output()).toMatch(/SIGINT: stopping the rollout and restoring the baseline/);
    expect(run.output()).toMatch(
      /ROLLED-BACK: interrupted: the execution was stopped: interrupted \(SIGINT\)/,
    );
    expect(await readAlias('sigint-fn', 'live')).toEqual({ version: '1', weights: {} });
  });

  it('exits at once on a second signal, leaving traffic as it is and saying truly what the target holds; fledge recover restores what is left', async () => {
    await healthy('twice-fn');
    const run = spawnFledge('run', release('twice-fn'), []);
    await run.waitFor(/step 1\/1: 30% to version 2/);

    // The two signals race the first one's rollback: its write may already be on its way when the second
    // arrives. Either way, what the run prints must be what the alias holds when it has exited.
    run.child.kill('SIGINT');
    run.child.kill('SIGTERM');
    const code = await run.exited;
    const left = await readAlias('twice-fn', 'live');
    const recovered = await fledgeCli('recover', release('twice-fn'), ['--json']);

    expect(code).toBe(1);
    const said =
      /(SIGINT|SIGTERM) again: exiting now, leaving traffic as it is; the target holds (.*)$/m.exec(
        run.output(),
      );
    if (Object.keys(left.weights).length > 0) {
      expect(left).toEqual({ version: '1', weights: { '2': 0.3 } });
      expect(said?.[2]).toBe(
        `alias live: 70% to version 1, 30% to version 2. To restore the baseline: npx fledge recover --input ${inputFileOf(run)}`,
      );
      expect(recovered.report).toMatchObject({
        outcome: 'rolled-back',
        before: 'alias live: 70% to version 1, 30% to version 2',
      });
    } else {
      expect(said?.[2]).toMatch(/: nothing to restore$/);
      expect(said?.[2]).not.toMatch(/30%/);
      expect(recovered.report).toMatchObject({ outcome: 'nothing-to-do' });
    }
    expect(recovered.code).toBe(0);
    expect(await readAlias('twice-fn', 'live')).toEqual({ version: '1', weights: {} });
  });

  it('without a record, refuses to guess when the alias routes to another version, and changes nothing', async () => {
    await createFunctionWithAlias('other-fn', 'live', 3);
    await new LambdaClient({}).send(
      new UpdateAliasCommand({
        FunctionName: 'other-fn',
        Name: 'live',
        FunctionVersion: '1',
        RoutingConfig: { AdditionalVersionWeights: { '2': 0.3 } },
      }),
    );
    const input = { target: { type: 'lambda-alias', functionName: 'other-fn', alias: 'live', version: '3' } };

    const refused = await fledgeCli('recover', input, ['--json']);
    const clean = await fledgeCli('recover', { target: { ...input.target, functionName: 'sigint-fn' } }, [
      '--json',
    ]);

    expect(refused.code).toBe(2);
    expect(refused.report).toMatchObject({
      outcome: 'refused',
      reason: expect.stringMatching(/not only to version 3 beside its main version. Nothing was changed/),
    });
    expect(await readAlias('other-fn', 'live')).toEqual({ version: '1', weights: { '2': 0.3 } });
    expect(clean).toMatchObject({ code: 0, report: { outcome: 'nothing-to-do' } });
  });
});

/**
 * An execution in moto's Step Functions (a machine that only waits) whose rollout Plan took and
 * SetWeight shifted, as the deployed functions would have before it was stopped.
 */
async function executionMidBake(machineName: string, input: Record<string, unknown>) {
  const sfn = new SFNClient({});
  const machine = await sfn.send(
    new CreateStateMachineCommand({
      name: machineName,
      roleArn: 'arn:aws:iam::123456789012:role/fledge-states',
      definition: JSON.stringify({
        StartAt: 'Wait',
        States: { Wait: { Type: 'Wait', Seconds: 3600, End: true } },
      }),
    }),
  );
  const started = await sfn.send(
    new StartExecutionCommand({ stateMachineArn: machine.stateMachineArn, input: JSON.stringify(input) }),
  );
  const executionArn = started.executionArn ?? '';
  const deps = {
    ...wireDeps(),
    clock: new VirtualClock(START),
    records: new DynamoDbRolloutRecords(TABLE, undefined, stepFunctionsExecutions),
  };
  const planned = (await plan(input, deps, { executionId: executionArn })) as RolloutState;
  await setWeight(planned, deps);
  return { sfn, executionArn, deps, planned };
}

/**
 * Stops the execution, then feeds the recover function the status-change event Step Functions puts on
 * the default bus, as EventBridge delivers it, 5 s after the stop. The function waits on its clock
 * (virtual here) until no Task Lambda of the execution can still be running, then acts.
 */
async function stopAndRecover({ sfn, executionArn, deps }: Awaited<ReturnType<typeof executionMidBake>>) {
  await sfn.send(new StopExecutionCommand({ executionArn, cause: 'stopped by an operator' }));
  const stopped = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  const stopDate = stopped.stopDate ?? new Date();
  const recoverClock = new VirtualClock(new Date(stopDate.getTime() + 5_000));
  const results = await recoverHandler(() => ({ ...deps, clock: recoverClock }))(
    statusChangeEvent(stopped, { account: '123456789012', region: 'us-east-1' }) as never,
    lambdaContext('recover', 300_000),
  );
  return { stopped, stopDate, recoverClock, results };
}

describe.each(newerKinds(START))('fledge run killed outright, on an $kind target', ({ kind, prepare }) => {
  it('leaves the split a kill leaves, and fledge recover --input restores the stable side', async () => {
    const target = await prepare(`${kind.split('-')[0]}-killed`);
    const input = { ...target.input, strategy: { steps: [{ weight: 30, bakeMinutes: 5 }] } };
    const run = spawnFledge('run', input, []);
    await run.waitFor(/step 1\/1: 30% to /);

    run.child.kill('SIGKILL');
    await run.exited;
    const split = await target.split();
    const recovered = await fledgeCli('recover', input, ['--json']);
    const again = await fledgeCli('recover', input, ['--json']);

    expect(target.allOnStable(split)).toBe(false);
    expect(recovered.code).toBe(0);
    expect(recovered.report).toMatchObject({ outcome: 'rolled-back' });
    expect(target.allOnStable(await target.split())).toBe(true);
    expect(again.code).toBe(0);
    expect(again.report).toMatchObject({ outcome: 'nothing-to-do' });
  });
});

describe('the recover function', () => {
  it('restores the baseline of an execution stopped in Step Functions, frees the target, and the next rollout runs', async () => {
    // Prepare: an execution in moto's Step Functions that planned and shifted 30% before being stopped.
    await healthy('stopped-fn');
    const execution = await executionMidBake('fledge-canary-recovery', release('stopped-fn'));
    const { deps } = execution;
    const busy = await fledgeRun(release('stopped-fn'), START, ['--json'], { FLEDGE_TABLE: TABLE });

    // Act: stop it, and the recover function gets the event.
    const { stopped, stopDate, recoverClock, results } = await stopAndRecover(execution);
    const record = await deps.records.get('lambda-alias#stopped-fn#live');
    const next = await fledgeRun(release('stopped-fn'), START, ['--json'], { FLEDGE_TABLE: TABLE });

    // Assess
    expect(stopped.status).toBe('ABORTED');
    expect(recoverClock.now().getTime() - stopDate.getTime()).toBe(TASK_SETTLE_SECONDS * 1000);
    expect(busy.code).toBe(2);
    expect(String(busy.report.reason)).toMatch(/already in progress/);
    expect(results).toMatchObject([{ action: 'rolled-back', weight: 0 }]);
    expect(record).toMatchObject({
      status: 'rolled-back',
      outcome: { reason: expect.stringMatching(/the execution was stopped/) },
    });
    expect(next.code).toBe(0);
    expect(next.report).toMatchObject({ outcome: 'promoted' });
    expect(await readAlias('stopped-fn', 'live')).toEqual({ version: '2', weights: {} });
  });
});

describe.each(newerKinds(START))('the recover function, on an $kind target', ({ kind, prepare }) => {
  it('restores the stable side of an execution stopped mid-bake, and frees the target', async () => {
    // Prepare: an execution in moto's Step Functions that planned and shifted 30% before being stopped.
    const target = await prepare(`${kind.split('-')[0]}-stopped`);
    const input = { ...target.input, strategy: { steps: [{ weight: 30, bakeMinutes: 5 }] } };
    const execution = await executionMidBake(`fledge-canary-recovery-${kind}`, input);
    const { deps, planned } = execution;
    const split = await target.split();

    // Act: stop it, and the recover function gets the event.
    const { results } = await stopAndRecover(execution);

    // Assess
    expect(split).not.toEqual(target.onStable);
    expect(results).toMatchObject([{ action: 'rolled-back', weight: 0 }]);
    expect(await deps.records.get(planned.record.key)).toMatchObject({
      status: 'rolled-back',
      outcome: { reason: expect.stringMatching(/the execution was stopped/) },
    });
    expect(await target.split()).toEqual(target.onStable);
  });
});

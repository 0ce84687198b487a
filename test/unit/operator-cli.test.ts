/**
 * The parts of the operator commands moto cannot show: following a deployed execution to its end from
 * its Step Functions history (`fledge start --wait`), and finding a deployed stack's table and state
 * machine by `--stage` (CloudFormation outputs), both against aws-sdk-client-mock.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EventLog } from '../../cli/local/runner';
import { locate, requireStateMachine } from '../../cli/operator/deployment';
import { follow, startExecution, validateInput } from '../../cli/operator/start';
import { describeEvent, toReport } from '../../cli/reports/progress';
import type { Target } from '../../shared/core/schema';
import { FakeMetrics, FakeRouter, fakeDeps } from '../support/fakes';
import { recordRollout } from '../support/rollouts';
import { toExecutionHistory } from '../support/sfn-history';

afterEach(() => {
  mockClient(SFNClient).restore();
  mockClient(CloudFormationClient).restore();
});

describe('fledge start --wait', () => {
  it("prints run's progress lines from the execution history, then ends as the execution did", async () => {
    const run = await recordRollout('rolled-back');
    const history = toExecutionHistory(run.events);
    const half = Math.floor(history.length / 2);
    const sfn = mockClient(SFNClient);
    sfn
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({ events: history.slice(0, half) })
      .resolves({ events: history });
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({ status: 'RUNNING' })
      .resolves({ status: 'FAILED', error: run.result.error, cause: run.result.cause });
    const lines: string[] = [];
    const local = run.events
      .map((e) => describeEvent(e.event, { now: () => new Date() }))
      .filter((l): l is string => Boolean(l));

    const result = await follow(
      run.result.executionArn,
      (event: EventLog) => {
        const line = describeEvent(event, { now: () => new Date() });
        if (line) lines.push(line);
      },
      { sfn: new SFNClient({ region: 'us-east-1' }), pollMs: 1 },
    );

    expect(toReport(result)).toEqual(toReport(run.result));
    // Each state's line once, in order, as `fledge run` printed them (the next-check times aside).
    const strip = (l: string) => l.replace(/; next check at .*$/, '').replace(/ \(in \d+[ms]+\)$/, '');
    expect(lines.map(strip)).toEqual(local.filter((l) => !l.startsWith('  !')).map(strip));
  });
});

describe('finding a deployed fledge', () => {
  it('reads the table and the state machine from the stack of --stage, flags first', async () => {
    mockClient(CloudFormationClient)
      .on(DescribeStacksCommand, { StackName: 'fledge-prod' })
      .resolves({
        Stacks: [
          {
            StackName: 'fledge-prod',
            CreationTime: new Date(),
            StackStatus: 'UPDATE_COMPLETE',
            Outputs: [
              { OutputKey: 'RolloutTableName', OutputValue: 'fledge-locks-prod' },
              {
                OutputKey: 'CanaryStateMachineArn',
                OutputValue: 'arn:aws:states:eu-west-1:1:stateMachine:fledge-canary-prod',
              },
            ],
          },
        ],
      });

    const found = await locate({ stage: 'prod' });
    const flagged = await locate({ stage: 'prod', table: 'mine' });

    expect(found).toMatchObject({
      table: 'fledge-locks-prod',
      stateMachineArn: expect.stringMatching(/fledge-canary-prod$/),
    });
    expect(flagged.table).toBe('mine');
  });

  it('says what to do when the stack does not exist', async () => {
    mockClient(CloudFormationClient)
      .on(DescribeStacksCommand)
      .rejects(
        Object.assign(new Error('Stack with id fledge-nope does not exist'), { name: 'ValidationError' }),
      );

    await expect(locate({ stage: 'nope' })).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringMatching(
        /--stage nope: no CloudFormation stack fledge-nope .*--table and --state-machine/,
      ),
    });
  });
});

describe('fledge start, before it starts an execution', () => {
  const input = (analysis: Record<string, unknown>) => ({
    target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
    analysis,
  });

  it('refuses what Plan would: a health check that cannot be watched, a lag shorter than a request', async () => {
    const router = new FakeRouter();
    router.requestSeconds = 600;
    const metrics = new FakeMetrics(() => undefined);
    metrics.missingChecks = ['hc-typo'];
    const deps = fakeDeps(router, metrics);

    await expect(validateInput(input({ healthChecks: ['hc-typo'] }), deps)).rejects.toThrow(
      "analysis.healthChecks: no Route 53 health check 'hc-typo'",
    );
    await expect(validateInput(input({ metricLagMinutes: 2 }), deps)).rejects.toThrow(
      /analysis\.metricLagMinutes: 2 is shorter .* at least 10/,
    );
    await expect(validateInput(input({ metricLagMinutes: 10 }), deps)).resolves.toBe('version 1 → 2');
  });

  it('refuses an AllAtOnce input with gates.beforePromotion, as Plan does, before reading the target', async () => {
    const router = new FakeRouter();
    const deps = fakeDeps(router, new FakeMetrics(() => undefined));
    const read = vi.spyOn(router, 'prepare');
    const allAtOnce = { ...input({}), strategy: 'AllAtOnce', gates: { beforePromotion: true } };

    await expect(validateInput(allAtOnce, deps)).rejects.toThrow(
      /gates\.beforePromotion: AllAtOnce moves all traffic/,
    );
    expect(read).not.toHaveBeenCalled();
  });
});

describe('fledge start with a release, before it starts an execution', () => {
  const release = (versions: string[]) => ({
    release: 'shop',
    targets: versions.map((version, i) => ({
      type: 'lambda-alias',
      functionName: `fn-${i}`,
      alias: 'live',
      version,
    })),
  });
  const wired = (routers: FakeRouter[]) => {
    const deps = fakeDeps(routers[0] as FakeRouter, new FakeMetrics(() => undefined));
    return {
      ...deps,
      router: (target: Target) =>
        routers[Number((target as { functionName: string }).functionName.slice(3))] as FakeRouter,
    };
  };

  it('names each target and its change when every target fits', async () => {
    const routers = [new FakeRouter('2'), new FakeRouter('5', ['1', '5'])];

    await expect(validateInput(release(['2', '5']), wired(routers))).resolves.toBe(
      'fn-0:live: version 1 → 2, fn-1:live: version 1 → 5',
    );
  });

  it('refuses, as Plan does, a target that does not fit, naming its place; no target is prepared', async () => {
    const routers = [new FakeRouter('2'), new FakeRouter('2'), new FakeRouter('7')];
    routers[1] = Object.assign(new FakeRouter('2'), { requestSeconds: 900 });
    const input = { ...release(['2', '2', '7']), analysis: { metricLagMinutes: 2 } };
    const prepared = routers.map((r) => vi.spyOn(r, 'prepare'));

    const refusal = validateInput(input, wired(routers));

    await expect(refusal).rejects.toThrow(
      /^invalid release input: targets\[1\] \(fn-1:live\): analysis\.metricLagMinutes: 2 is shorter/,
    );
    // Read once each up to the refused target, never prepared for real (a second call).
    expect(prepared.map((p) => p.mock.calls.length)).toEqual([1, 1, 0]);
  });

  it('refuses a target whose version is not published with targets[i].version', async () => {
    const routers = [new FakeRouter('2'), new FakeRouter('2'), new FakeRouter('7')];

    await expect(validateInput(release(['2', '2', '7']), wired(routers))).rejects.toThrow(
      "invalid release input: targets[2] (fn-2:live): targets[2].version '7' is not a published version",
    );
  });
});

describe('a state machine that cannot be started', () => {
  const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:fledge-canary-prdo';

  it('is refused as a name where an ARN belongs, before anything is asked or called', () => {
    // Act
    const named = () =>
      requireStateMachine({ stateMachineArn: 'fledge-canary-prod', from: 'flags and environment' });

    // Assess
    expect(named).toThrow(
      "'fledge-canary-prod' (from flags and environment) is not a state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>)",
    );
    expect(requireStateMachine({ stateMachineArn: ARN, from: 'stack fledge-prod' })).toBe(ARN);
  });

  it('is refused, naming it and where it came from, when Step Functions does not know it', async () => {
    // Prepare
    mockClient(SFNClient)
      .on(StartExecutionCommand)
      .rejects(
        Object.assign(new Error(`State Machine Does Not Exist: '${ARN}'`), {
          name: 'StateMachineDoesNotExist',
        }),
      );

    // Act
    const started = startExecution(ARN, {}, new SFNClient({ region: 'us-east-1' }), 'FLEDGE_STATE_MACHINE');

    // Assess
    await expect(started).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: `no state machine '${ARN}' (from FLEDGE_STATE_MACHINE) in this account and region: check --state-machine, --stage or FLEDGE_STATE_MACHINE, and --region. Nothing was started`,
    });
  });
});

/**
 * The operator commands through the real `fledge` CLI, against moto, on rollouts in each state: running
 * (a local run whose records live in moto's DynamoDB, as a deployed one's do), paused, waiting at a
 * gate, finished, rolled back, and absent. Requests are applied by the rollout's next check; refusals
 * exit 2 and change nothing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { runLocal } from '../../cli/local/runner';
import { toReport } from '../../cli/reports/progress';
import { wireDeps } from '../../cli/shared/wiring';
import { createFunctionWithAlias, createRolloutTable } from '../../local/fixtures';
import { useEndpoint } from '../../local/moto';
import { stepFunctionsExecutions } from '../../shared/aws/executions';
import { DynamoDbRolloutRecords } from '../../shared/aws/records';
import { VirtualClock } from '../../shared/core/clock';
import { plan } from '../../shared/steps/plan';
import type { RolloutState } from '../../shared/steps/rollout';
import { publishLambdaMinutes, readAlias } from '../support/aws';
import { type CliRun, fledgeArgs, inputFile, spawnFledge } from '../support/cli';
import { newerKinds } from '../support/target-kinds';

const START = new Date('2026-11-20T10:00:00.000Z');
const TABLE = 'fledge-operator-test';
let stateMachineArn = '';

const target = (functionName: string) => ({
  type: 'lambda-alias',
  functionName,
  alias: 'live',
  version: '2',
});
const env = () => ({ FLEDGE_TABLE: TABLE });
const cli = (...args: string[]) => fledgeArgs([...args, '--json'], env());

async function healthy(name: string, canaryErrors = 5) {
  await createFunctionWithAlias(name, 'live', 2);
  await publishLambdaMinutes(name, 'live', START, 90, {
    '1': { requests: 9000, errors: 45 },
    '2': { requests: 1000, errors: canaryErrors },
  });
}

/** A local run whose records live in moto's table; `atCheck(n)` runs before check n, and may call the CLI. */
async function rollout(
  input: Record<string, unknown>,
  atCheck: (n: number, rollout: RolloutState) => Promise<void>,
) {
  const clock = new VirtualClock(START);
  const deps = {
    ...wireDeps(),
    clock,
    records: new DynamoDbRolloutRecords(TABLE, undefined, stepFunctionsExecutions),
  };
  let checks = 0;
  const result = await runLocal({
    input,
    deps,
    virtualClock: clock,
    taskOverrides: {
      Evaluate: async (taskInput, real) => {
        checks += 1;
        await atCheck(checks, (taskInput as { rollout: RolloutState }).rollout);
        return real(taskInput);
      },
    },
  });
  return toReport(result);
}

const refused = (run: CliRun, reason: RegExp) => {
  expect(run.code).toBe(2);
  expect(run.report).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(reason) });
};

beforeAll(async () => {
  useEndpoint(inject('motoEndpoint'));
  await createRolloutTable(TABLE);
  const machine = await new SFNClient({}).send(
    new CreateStateMachineCommand({
      name: 'fledge-canary-operator',
      roleArn: 'arn:aws:iam::123456789012:role/fledge-states',
      definition: JSON.stringify({
        StartAt: 'Wait',
        States: { Wait: { Type: 'Wait', Seconds: 3600, End: true } },
      }),
    }),
  );
  stateMachineArn = machine.stateMachineArn ?? '';
});

describe('fledge status, list, pause, resume, abort', () => {
  it('shows a running rollout, pauses and resumes it, refuses what does not apply, and aborts it mid-bake', async () => {
    await healthy('op-abort');
    const seen: Record<string, CliRun> = {};

    const report = await rollout(
      { target: target('op-abort'), strategy: 'Canary10Percent30Minutes' },
      async (n) => {
        if (n === 2) {
          seen.status = await cli('status', 'op-abort:live');
          seen.list = await cli('list');
          seen.approve = await cli('approve', 'op-abort:live');
          seen.resume = await cli('resume', 'op-abort:live');
          seen.pause = await cli('pause', 'op-abort:live', '--reason', 'watching a dashboard');
          seen.again = await cli('pause', 'op-abort:live');
          seen.paused = await cli('status', 'op-abort:live');
        }
        if (n === 4) seen.resumed = await cli('resume', 'op-abort:live');
        if (n === 5) seen.abort = await cli('abort', 'op-abort:live', '--reason', 'a customer "escalation"');
      },
    );
    const after = await cli('abort', 'op-abort:live', '--reason', 'too late');

    expect(seen.status).toMatchObject({
      code: 0,
      report: {
        rollout: 'alias op-abort:live (version 1 → 2)',
        status: 'baking',
        weight: 10,
        step: { n: 1, of: 1 },
      },
    });
    expect(seen.list?.report).toMatchObject({
      rollouts: [expect.objectContaining({ key: 'lambda-alias#op-abort#live' })],
    });
    refused(seen.approve as CliRun, /no approval gate is open/);
    refused(seen.resume as CliRun, /not paused; nothing to resume/);
    expect(seen.pause).toMatchObject({ code: 0, report: { outcome: 'requested', action: 'pause' } });
    refused(seen.again as CliRun, /already paused by .* since /);
    expect(seen.paused?.report).toMatchObject({ paused: { reason: 'watching a dashboard' } });
    expect(seen.resumed?.code).toBe(0);
    expect(seen.abort?.code).toBe(0);
    expect(report).toMatchObject({
      outcome: 'rolled-back',
      reason: expect.stringMatching(/^aborted by .*: a customer "escalation"$/),
      forced: { command: 'abort' },
    });
    expect(await readAlias('op-abort', 'live')).toEqual({ version: '1', weights: {} });
    refused(after, /its last rollout has ended \(rolled-back: aborted by .*\)/);
  }, 90_000); // a dozen CLI processes against moto: about 18 s on two idle cores

  it('refuses a rollout that is not on record, and a command without its reason', async () => {
    refused(await cli('status', 'nobody:live'), /no rollout of nobody:live is on record/);
    refused(await cli('abort', 'nobody:live'), /needs --reason/);
    refused(await cli('status', 'not-a-target'), /no release named 'not-a-target' is on record/);
    refused(await cli('status', 'not a target'), /is not a rollout/);
    refused(
      await cli(
        'abort',
        'nobody:live',
        '--input',
        inputFile({ target: target('somebody') }),
        '--reason',
        'x',
      ),
      /'nobody:live' and --input name different targets/,
    );
  });
});

describe('fledge status --watch', () => {
  it('ends when the watched rollout ends, though another rollout of the target has started meanwhile', async () => {
    const records = new DynamoDbRolloutRecords(TABLE, undefined, stepFunctionsExecutions);
    const record = (owner: string) => ({
      key: 'lambda-alias#op-watch#live',
      owner,
      since: START.toISOString(),
      updatedAt: START.toISOString(),
      status: 'baking' as const,
      target: { type: 'lambda-alias' as const, functionName: 'op-watch', alias: 'live', version: '2' },
      label: 'alias op-watch:live (version 1 → 2)',
      traffic: { baseline: '1', canary: '2', weight: 10 },
    });
    await records.acquire(record('local-op-watch-a'));
    const watch = spawn(
      process.execPath,
      ['bin/fledge.js', 'status', 'op-watch:live', '--watch', '--interval', '2'],
      { env: { ...process.env, ...env() } },
    );
    let output = '';
    watch.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    watch.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => watch.once('exit', resolve));
    for (let waited = 0; !/baking, 10% on the canary/.test(output); waited += 50) {
      if (waited > 30_000) throw new Error(`fledge status --watch printed no status:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }

    // Within one refresh, the watched rollout rolls back and the next one of the target starts.
    const ended = {
      outcome: 'rolled-back' as const,
      reason: 'regression',
      at: START.toISOString(),
      weight: 0,
    };
    await records.finish({ ...record('local-op-watch-a'), status: 'rolled-back', outcome: ended });
    await records.acquire({ ...record('local-op-watch-b'), status: 'planning' });
    const code = await Promise.race([
      exited,
      new Promise((r) => setTimeout(() => r('still watching'), 15_000)),
    ]);
    watch.kill();

    expect(code).toBe(0);
    expect(output).toMatch(/the watched rollout \(execution local-op-watch-a\) has ended/);
    expect(output).toMatch(/another rollout \(execution local-op-watch-b\) now holds the target/);
    // The new rollout is named, never shown as if it were the watched one.
    expect(output).not.toMatch(/: planning/);
  }, 60_000);
});

describe('a command while another is pending', () => {
  it('refuses a promote after an abort, naming the pending abort, and the rollout rolls back', async () => {
    await healthy('op-pending');
    const seen: Record<string, CliRun> = {};

    const report = await rollout(
      { target: target('op-pending'), strategy: 'Linear10PercentEvery3Minutes' },
      async (n) => {
        if (n === 2) {
          seen.abort = await cli('abort', 'op-pending:live', '--reason', 'customer escalation');
          seen.promote = await cli('promote', 'op-pending:live', '--reason', 'hotfix');
        }
      },
    );

    expect(seen.abort?.code).toBe(0);
    refused(
      seen.promote as CliRun,
      /`fledge abort` requested by .* \(customer escalation\) is still pending/,
    );
    expect(report).toMatchObject({ outcome: 'rolled-back', forced: { command: 'abort' } });
    expect(await readAlias('op-pending', 'live')).toEqual({ version: '1', weights: {} });
  });

  it('is refused by the table itself, so two operators racing cannot replace each other', async () => {
    const records = new DynamoDbRolloutRecords(TABLE, undefined, stepFunctionsExecutions);
    const key = 'lambda-alias#op-race#live';
    const owner = 'local-op-race';
    await records.acquire({
      key,
      owner,
      since: START.toISOString(),
      updatedAt: START.toISOString(),
      status: 'baking',
      target: { type: 'lambda-alias', functionName: 'op-race', alias: 'live', version: '2' },
      label: 'alias op-race:live (version 1 → 2)',
    });
    const command = (id: string, action: 'abort' | 'promote', by: string) => ({
      command: { id, action, reason: 'r', by, at: START.toISOString() },
    });

    await records.request(key, owner, command('p1', 'promote', 'bob'));
    const second = records.request(key, owner, command('p2', 'promote', 'carol'));
    await expect(second).rejects.toThrow(/`fledge promote` requested by bob .* is still pending/);
    await records.request(key, owner, command('a1', 'abort', 'alice'));
    const after = records.request(key, owner, command('a2', 'abort', 'dave'));
    await expect(after).rejects.toThrow(/`fledge abort` requested by alice .* is still pending/);
    await records.request(key, owner, { ...command('p3', 'promote', 'erin'), replacing: 'a1' });

    expect((await records.requests(key)).command).toMatchObject({ id: 'p3', by: 'erin' });
  });
});

describe('a command written by an older fledge', () => {
  it('can be replaced by an abort, though it has no commandAction for the table to tell an abort by', async () => {
    const records = new DynamoDbRolloutRecords(TABLE, undefined, stepFunctionsExecutions);
    const key = 'lambda-alias#op-legacy#live';
    await records.acquire({
      key,
      owner: 'local-op-legacy',
      since: START.toISOString(),
      updatedAt: START.toISOString(),
      status: 'baking',
      target: { type: 'lambda-alias', functionName: 'op-legacy', alias: 'live', version: '2' },
      label: 'alias op-legacy:live (version 1 → 2)',
    });
    // A pending promote as fledge wrote it before commands carried commandAction.
    const promote = { id: 'old-1', action: 'promote', reason: 'r', by: 'bob', at: START.toISOString() };
    await new DynamoDBClient({}).send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: { pk: { S: key } },
        UpdateExpression: 'SET command = :command, commandId = :id',
        ExpressionAttributeValues: { ':command': { S: JSON.stringify(promote) }, ':id': { S: promote.id } },
      }),
    );

    const abort = await cli('abort', 'op-legacy:live', '--reason', 'customer escalation');
    const again = await cli('abort', 'op-legacy:live', '--reason', 'second thoughts');

    expect(abort.code).toBe(0);
    expect(abort.report).toMatchObject({
      message: expect.stringMatching(/replaces the pending promote requested by bob/),
    });
    expect((await records.requests(key)).command).toMatchObject({
      action: 'abort',
      reason: 'customer escalation',
    });
    // Conditional as ever: the abort now pending is not replaced.
    refused(again, /`fledge abort` requested by .* \(customer escalation\) is still pending/);
  });
});

describe('a rollout table that is not there', () => {
  it('is refused, naming the table and where it came from', async () => {
    const status = await fledgeArgs(['status', 'checkout:live', '--json'], { FLEDGE_TABLE: 'fledge-tyop' });

    refused(
      status,
      /^no rollout table 'fledge-tyop' \(from flags and environment\) in this account and region/,
    );
  });
});

describe('against a real account', () => {
  it('refuses a request that does not apply before asking to confirm it', async () => {
    const records = new DynamoDbRolloutRecords(TABLE, undefined, stepFunctionsExecutions);
    await records.acquire({
      key: 'lambda-alias#op-confirm#live',
      owner: 'local-op-confirm',
      since: START.toISOString(),
      updatedAt: START.toISOString(),
      status: 'baking',
      target: { type: 'lambda-alias', functionName: 'op-confirm', alias: 'live', version: '2' },
      label: 'alias op-confirm:live (version 1 → 2)',
    });

    // FLEDGE_EMULATOR=false: moto stands in for a real account, so the command would ask to confirm.
    const approve = await fledgeArgs(['approve', 'op-confirm:live', '--json'], {
      ...env(),
      FLEDGE_EMULATOR: 'false',
    });

    refused(approve, /no approval gate is open/);
  });
});

describe('fledge promote', () => {
  it('promotes mid-bake, skipping the rest of the schedule', async () => {
    await healthy('op-promote');

    const report = await rollout(
      { target: target('op-promote'), strategy: 'Linear10PercentEvery3Minutes' },
      async (n) => {
        if (n === 2) await cli('promote', 'op-promote:live', '--reason', 'hotfix for an outage');
      },
    );

    expect(report).toMatchObject({
      outcome: 'promoted',
      reason: expect.stringMatching(/^promoted early by .*hotfix for an outage$/),
      forced: { command: 'promote' },
    });
    expect(await readAlias('op-promote', 'live')).toEqual({ version: '2', weights: {} });
  });
});

describe('approval gates', () => {
  const gated = (name: string) => ({
    target: target(name),
    strategy: {
      steps: [
        { weight: 10, bakeMinutes: 2, approve: true },
        { weight: 50, bakeMinutes: 2 },
      ],
    },
  });

  it('waits at the gate, shows it, and goes on when approved', async () => {
    await healthy('op-approve');
    let status: CliRun | undefined;
    let approved: CliRun | undefined;

    const report = await rollout(gated('op-approve'), async (_n, state) => {
      if (state.operator?.gate && !approved) {
        status = await cli('status', 'op-approve:live');
        approved = await cli('approve', 'op-approve:live', '--reason', 'dashboards look fine');
      }
    });

    expect(status?.report).toMatchObject({ gate: { id: 'step 1' } });
    expect(approved?.code).toBe(0);
    expect(report.outcome).toBe('promoted');
    expect(await readAlias('op-approve', 'live')).toEqual({ version: '2', weights: {} });
  });

  it('rolls back when rejected', async () => {
    await healthy('op-reject');

    const report = await rollout(gated('op-reject'), async (_n, state) => {
      if (state.operator?.gate) await cli('reject', 'op-reject:live', '--reason', 'latency looks off');
    });

    expect(report).toMatchObject({
      outcome: 'rolled-back',
      reason: expect.stringMatching(/^step 1 rejected by .*: latency looks off$/),
    });
    expect(await readAlias('op-reject', 'live')).toEqual({ version: '1', weights: {} });
  });

  it('rolls back when nobody approves before the gate times out', async () => {
    await healthy('op-timeout');

    const report = await rollout(
      { ...gated('op-timeout'), gates: { approvalTimeoutMinutes: 3 } },
      async () => undefined,
    );

    expect(report).toMatchObject({
      outcome: 'rolled-back',
      reason: 'step 1 not approved within gates.approvalTimeoutMinutes (3); rolled back',
    });
  });
});

describe('fledge start and retry', () => {
  it('checks the input, starts an execution with it, and prints its ARN and console link', async () => {
    await healthy('op-start');
    const input = { target: target('op-start'), strategy: 'Canary10Percent5Minutes' };

    const started = await cli('start', '--input', inputFile(input), '--state-machine', stateMachineArn);
    const execution = await new SFNClient({}).send(
      new DescribeExecutionCommand({ executionArn: String(started.report.executionArn) }),
    );

    expect(started).toMatchObject({
      code: 0,
      report: {
        outcome: 'started',
        console: expect.stringMatching(/^https:\/\/us-east-1\.console\.aws\.amazon\.com\/states\//),
      },
    });
    expect(JSON.parse(execution.input ?? '{}')).toEqual(input);
  });

  it('--wait stops following on Ctrl-C, and says the rollout goes on and how to follow or stop it', async () => {
    await healthy('op-follow');
    const input = { target: target('op-follow'), strategy: 'Canary10Percent5Minutes' };
    const follow = spawnFledge('start', input, ['--state-machine', stateMachineArn, '--wait'], env());
    await follow.waitFor(/^started (arn:\S+)$/m);
    const executionArn = /^started (arn:\S+)$/m.exec(follow.output())?.[1] ?? '';

    follow.child.kill('SIGINT');
    const code = await follow.exited;
    const execution = await new SFNClient({}).send(new DescribeExecutionCommand({ executionArn }));

    expect(code).toBe(130);
    expect(follow.output()).toContain(
      `SIGINT: stopped following; the rollout goes on in ${executionArn}, nothing was stopped or rolled back. \`fledge status ${executionArn} --watch\` follows it`,
    );
    expect(execution.status).toBe('RUNNING');
  });

  it('starts nothing for an input that fails its checks', async () => {
    const before = await new SFNClient({}).send(new ListExecutionsCommand({ stateMachineArn }));

    const bad = await cli(
      'start',
      '--input',
      inputFile({ target: target('op-missing') }),
      '--state-machine',
      stateMachineArn,
    );
    const schema = await cli(
      'start',
      '--input',
      inputFile({ target: { type: 'lambda-alias' } }),
      '--state-machine',
      stateMachineArn,
    );
    const after = await new SFNClient({}).send(new ListExecutionsCommand({ stateMachineArn }));

    refused(bad, /target.functionName 'op-missing' is not a Lambda function/);
    refused(schema, /target.functionName/);
    expect(after.executions?.length).toBe(before.executions?.length);
  });

  it('starts a rolled-back release again with the input it had', async () => {
    await healthy('op-retry', 100);
    const input = { target: target('op-retry'), strategy: 'Canary10Percent5Minutes' };
    const first = await rollout(input, async () => undefined);

    const retried = await cli('retry', 'op-retry:live', '--state-machine', stateMachineArn);
    const execution = await new SFNClient({}).send(
      new DescribeExecutionCommand({ executionArn: String(retried.report.executionArn) }),
    );

    expect(first.outcome).toBe('rolled-back');
    expect(retried).toMatchObject({ code: 0, report: { outcome: 'started' } });
    expect(JSON.parse(execution.input ?? '{}')).toMatchObject({
      target: input.target,
      strategy: input.strategy,
    });
  });
});

describe('fledge report <rollout>', () => {
  it("writes the report of a target's last deployed execution, found through its record", async () => {
    await healthy('op-report');
    const sfn = new SFNClient({});
    const { executionArn = '' } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, input: JSON.stringify({ target: target('op-report') }) }),
    );
    const deps = {
      ...wireDeps(),
      clock: new VirtualClock(START),
      records: new DynamoDbRolloutRecords(TABLE, undefined, stepFunctionsExecutions),
    };
    await plan({ target: target('op-report') }, deps, { executionId: executionArn });
    const output = join(mkdtempSync(join(tmpdir(), 'fledge-report-')), 'report.html');

    const written = await cli('report', 'op-report:live', '--output', output);

    expect(written).toMatchObject({ code: 0, report: { outcome: 'written', path: output } });
    expect(readFileSync(output, 'utf8')).toContain(executionArn.split(':').at(-1));
  });

  it("refuses a target whose last rollout was a local run, saying how to get a local run's report", async () => {
    await healthy('op-local-report');
    await rollout(
      { target: target('op-local-report'), strategy: 'Canary10Percent5Minutes' },
      async () => undefined,
    );

    refused(await cli('report', 'op-local-report:live'), /was a local run .*`fledge run --report <file>`/);
  });
});

/**
 * The newer kinds, named by `--input` as a Route 53 target is: a healthy canary whose split the operator
 * reads, pauses, resumes and promotes early, and one the operator aborts; the target ends on the side
 * the command chose, with nothing of the other left.
 */
const kinds = newerKinds(START);

describe.each(kinds)('operator commands on a running $kind rollout', ({ kind, prepare, label }) => {
  const short = kind.split('-')[0];

  it('shows it, pauses and resumes it, refuses what does not apply, and promotes it early', async () => {
    const name = `${short}-op-promote`;
    const target = await prepare(name);
    const named = inputFile(target.input);
    const seen: Record<string, CliRun> = {};

    const report = await rollout(
      { ...target.input, strategy: { steps: [{ weight: 10, bakeMinutes: 30 }] } },
      async (n) => {
        if (n === 2) {
          seen.status = await cli('status', '--input', named);
          seen.approve = await cli('approve', '--input', named);
          seen.pause = await cli('pause', '--input', named, '--reason', 'watching a dashboard');
        }
        if (n === 3) seen.resume = await cli('resume', '--input', named);
        if (n === 4)
          seen.promote = await cli('promote', '--input', named, '--reason', 'hotfix for an outage');
      },
    );

    expect(seen.status).toMatchObject({
      code: 0,
      report: {
        rollout: expect.stringMatching(label(name)),
        status: 'baking',
        weight: 10,
        step: { n: 1, of: 1 },
      },
    });
    refused(seen.approve as CliRun, /no approval gate is open/);
    expect(seen.pause).toMatchObject({ code: 0, report: { outcome: 'requested', action: 'pause' } });
    expect(seen.resume?.code).toBe(0);
    expect(seen.promote?.code).toBe(0);
    expect(report).toMatchObject({
      outcome: 'promoted',
      reason: expect.stringMatching(/^promoted early by .*hotfix for an outage$/),
      forced: { command: 'promote' },
    });
    expect(await target.split()).toEqual(target.onCanary);
  }, 90_000);

  it('aborts it mid-bake: all traffic back on the stable side', async () => {
    const target = await prepare(`${short}-op-abort`);
    const named = inputFile(target.input);

    const report = await rollout(
      { ...target.input, strategy: { steps: [{ weight: 10, bakeMinutes: 30 }] } },
      async (n) => {
        if (n === 2) await cli('abort', '--input', named, '--reason', 'a customer escalation');
      },
    );

    expect(report).toMatchObject({
      outcome: 'rolled-back',
      reason: expect.stringMatching(/^aborted by .*: a customer escalation$/),
      forced: { command: 'abort' },
    });
    expect(await target.split()).toEqual(target.onStable);
  }, 90_000);
});

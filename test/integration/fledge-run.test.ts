/**
 * `fledge run` as a user runs it: the real CLI in a child process, the real state machine and handlers,
 * against moto, with metrics published beforehand and the virtual clock started in the past.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LambdaClient, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createFunctionWithAlias } from '../../local/fixtures';
import { useEndpoint } from '../../local/moto';
import { publishLambdaMinutes, readAlias } from '../support/aws';
import { fledgeRun } from '../support/cli';

const run = promisify(execFile);
const START = new Date('2026-11-02T10:00:00.000Z');
const dir = mkdtempSync(join(tmpdir(), 'fledge-it-'));

const fledge = (input: unknown, extra: string[] = []) => fledgeRun(input, START, extra);

function lastJson(stdout: string): Record<string, unknown> {
  const last = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as Record<string, unknown>;
}

const target = (functionName: string, version: string) => ({
  type: 'lambda-alias',
  functionName,
  alias: 'live',
  version,
});

describe('fledge run against moto', () => {
  beforeAll(async () => {
    useEndpoint(inject('motoEndpoint'));
    await createFunctionWithAlias('healthy-fn', 'live', 2);
    await createFunctionWithAlias('faulty-fn', 'live', 2);
    await createFunctionWithAlias('input-fn', 'live', 3);
    // 40 minutes of traffic on the baseline and the canary: 0.5% errors, or 5% for the faulty canary.
    await publishLambdaMinutes('healthy-fn', 'live', START, 40, {
      '1': { requests: 900, errors: 4 },
      '2': { requests: 100, errors: 0 },
    });
    await publishLambdaMinutes('faulty-fn', 'live', START, 40, {
      '1': { requests: 900, errors: 4 },
      '2': { requests: 100, errors: 5 },
    });
  });

  it('promotes a healthy version and leaves the alias on it with no routing', async () => {
    const { code, stdout } = await fledge(
      { target: target('healthy-fn', '2'), strategy: 'Linear10PercentEvery1Minute' },
      ['--json'],
    );

    expect(code).toBe(0);
    expect(lastJson(stdout)).toMatchObject({ outcome: 'promoted', baseline: '1', canary: '2', weight: 100 });
    expect(await readAlias('healthy-fn', 'live')).toEqual({ version: '2', weights: {} });
  });

  it('rolls back a faulty version, exits 1 and leaves the alias on the baseline', async () => {
    const { code, stdout } = await fledge({ target: target('faulty-fn', '2') }, ['--json']);

    expect(code).toBe(1);
    const report = lastJson(stdout);
    expect(report).toMatchObject({ outcome: 'rolled-back', weight: 0 });
    expect(String(report.reason)).toMatch(/canary error rate is higher than baseline/);
    expect(await readAlias('faulty-fn', 'live')).toEqual({ version: '1', weights: {} });
  });

  it('runs strategy Adaptive: a healthy version promoted from its ramp, a faulty one rolled back', async () => {
    await createFunctionWithAlias('adaptive-fn', 'live', 2);
    await publishLambdaMinutes('adaptive-fn', 'live', START, 40, {
      '1': { requests: 900, errors: 4 },
      '2': { requests: 100, errors: 0 },
    });
    const healthy = await fledge({ target: target('adaptive-fn', '2'), strategy: 'Adaptive' });
    const faulty = await fledge(
      { target: target('faulty-fn', '2'), strategy: { adaptive: { initialWeight: 2 } } },
      ['--json'],
    );

    expect(healthy.code).toBe(0);
    // The person's progress names the ramp's weights as SetWeight applies them.
    expect(healthy.stdout).toMatch(/step 1\/3: 8% to version 2/);
    expect(healthy.stdout).toMatch(/step 2\/3: 24% to version 2/);
    expect(healthy.stdout).toMatch(/^PROMOTED: canary shown not 4x worse/m);
    expect(await readAlias('adaptive-fn', 'live')).toEqual({ version: '2', weights: {} });
    expect(faulty.code).toBe(1);
    expect(lastJson(faulty.stdout)).toMatchObject({ outcome: 'rolled-back', weight: 0 });
    expect(await readAlias('faulty-fn', 'live')).toEqual({ version: '1', weights: {} });
  });

  it('shows progress to a person without --json', async () => {
    const { stdout } = await fledge({
      target: target('faulty-fn', '2'),
      strategy: 'Canary10Percent5Minutes',
    });

    expect(stdout).toMatch(/step 1\/1: 10% to version 2/);
    expect(stdout).toMatch(
      /check \d+: regression: canary error rate is higher .*canary \d+\/\d+ .* vs baseline \d+\/\d+/,
    );
    expect(stdout.trim().split('\n').at(-1)).toMatch(/^ROLLED-BACK: /);
  });

  it.each([
    [
      'an unknown version',
      { target: target('input-fn', '9') },
      /not a published version of input-fn \(published: 1-3\)/,
    ],
    ['an unknown function', { target: target('nope-fn', '2') }, /'nope-fn' is not a Lambda function/],
    [
      'an unknown alias',
      { target: { ...target('input-fn', '2'), alias: 'prod' } },
      /alias 'prod' does not exist/,
    ],
    ['the baseline version', { target: target('input-fn', '1') }, /already the version of alias live/],
    [
      'a schema violation',
      { target: target('input-fn', '2'), strategy: 'Canary150Percent5Minutes' },
      /strategy/,
    ],
  ])('exits 2 on %s and leaves the alias untouched', async (_name, input, message) => {
    const before = await readAlias('input-fn', 'live');

    const { code, stdout } = await fledge(input, ['--json']);

    expect(code).toBe(2);
    expect(lastJson(stdout)).toMatchObject({ outcome: 'rejected' });
    expect(String(lastJson(stdout).reason)).toMatch(message);
    expect(await readAlias('input-fn', 'live')).toEqual(before);
  });

  it('exits 2 when the alias already routes to another version, and leaves it as it was', async () => {
    const lambda = new LambdaClient({});
    await lambda.send(
      new UpdateAliasCommand({
        FunctionName: 'input-fn',
        Name: 'live',
        FunctionVersion: '1',
        RoutingConfig: { AdditionalVersionWeights: { '2': 0.2 } },
      }),
    );

    const { code, stdout } = await fledge({ target: target('input-fn', '3') }, ['--json']);

    expect(code).toBe(2);
    expect(String(lastJson(stdout).reason)).toMatch(/already routes 20% to version 2/);
    expect(await readAlias('input-fn', 'live')).toEqual({ version: '1', weights: { '2': 0.2 } });
    await lambda.send(
      new UpdateAliasCommand({
        FunctionName: 'input-fn',
        Name: 'live',
        FunctionVersion: '1',
        RoutingConfig: { AdditionalVersionWeights: {} },
      }),
    );
  });

  it('exits 2 on an unreadable input file', async () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{"target": ');

    const result = await run(process.execPath, ['bin/fledge.js', 'run', '--input', file, '--json']).catch(
      (e: { code: number; stdout: string }) => e,
    );

    expect((result as { code?: number }).code).toBe(2);
    expect(lastJson((result as { stdout: string }).stdout)).toMatchObject({ outcome: 'rejected' });
  });

  it.each([[[]], [42], ['x'], [true], [null]])(
    'exits 2 on input %j, which is not a JSON object, naming the problem',
    async (notAnObject) => {
      const result = await fledge(notAnObject, ['--json']);

      expect(result.code).toBe(2);
      expect(result.report).toMatchObject({
        outcome: 'rejected',
        error: 'InvalidInputError',
        reason: expect.stringMatching(/invalid rollout input: .*expected object/),
      });
    },
  );
});

/**
 * Every way out of `fledge run` that can still run code restores the baseline (docs/OPERATIONS.md,
 * "Interrupting fledge run"): a closed terminal (SIGHUP), a closed stdout (EPIPE), an uncaught exception
 * and an unhandled rejection each end with the alias on its baseline, the record closed, exit 1 and a
 * last line that says why. Against moto, with the rollout record in a DynamoDB table.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createFunctionWithAlias, createRolloutTable } from '../../local/fixtures';
import { useEndpoint } from '../../local/moto';
import { stepFunctionsExecutions } from '../../shared/aws/executions';
import { DynamoDbRolloutRecords } from '../../shared/aws/records';
import { publishLambdaMinutes, readAlias } from '../support/aws';
import { fledgeCli, spawnFledge } from '../support/cli';

const START = new Date('2026-11-09T10:00:00.000Z');
const TABLE = 'fledge-exits-test';
const env = () => ({ FLEDGE_TABLE: TABLE });

const release = (functionName: string, extra: Record<string, unknown> = {}) => ({
  target: { type: 'lambda-alias', functionName, alias: 'live', version: '2' },
  strategy: { steps: [{ weight: 30, bakeMinutes: 5 }] },
  ...extra,
});

async function healthy(name: string) {
  await createFunctionWithAlias(name, 'live', 2);
  await publishLambdaMinutes(name, 'live', START, 40, {
    '1': { requests: 900, errors: 4 },
    '2': { requests: 100, errors: 0 },
  });
}

/** The last line the run printed (on either stream). */
const lastLine = (output: string) => output.trim().split('\n').at(-1) ?? '';

const recordOf = (name: string) =>
  new DynamoDbRolloutRecords(TABLE, undefined, stepFunctionsExecutions).get(`lambda-alias#${name}#live`);

/** A beforeAllowTraffic hook module that passes, and whose timer breaks the process 1.5 s later. */
function hookThatBreaksLater(breaking: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'fledge-exits-'));
  const file = join(dir, 'hook.mjs');
  writeFileSync(
    file,
    `export const handler = async () => {\n  setTimeout(() => { ${breaking} }, 1500);\n  return { status: 'Succeeded' };\n};\n`,
  );
  return file;
}

beforeAll(async () => {
  useEndpoint(inject('motoEndpoint'));
  await createRolloutTable(TABLE);
});

describe('fledge run restores the baseline on every way out', () => {
  it('on SIGHUP (a closed terminal) mid-bake: baseline, record closed, exit 1, says why', async () => {
    await healthy('hup-fn');
    const run = spawnFledge('run', release('hup-fn'), [], env());
    await run.waitFor(/step 1\/1: 30% to version 2/);
    expect(await readAlias('hup-fn', 'live')).toEqual({ version: '1', weights: { '2': 0.3 } });

    run.child.kill('SIGHUP');
    const code = await run.exited;

    expect(code).toBe(1);
    expect(lastLine(run.output())).toBe(
      'ROLLED-BACK: interrupted: the execution was stopped: interrupted (SIGHUP); fledge recovery restored the baseline',
    );
    expect(await readAlias('hup-fn', 'live')).toEqual({ version: '1', weights: {} });
    expect(await recordOf('hup-fn')).toMatchObject({ status: 'rolled-back' });
  });

  it('on a closed stdout (EPIPE, as `| head` does): writes there no more, restores, exit 1, says why on stderr', async () => {
    await healthy('pipe-fn');
    const input = release('pipe-fn', {
      strategy: { steps: [10, 20, 30, 40, 50, 60, 70, 80].map((weight) => ({ weight, bakeMinutes: 5 })) },
    });
    const run = spawnFledge('run', input, ['--clock', 'virtual', '--start', START.toISOString()], env());
    // The reader goes away right after the first step's line, as `head -2` would.
    run.child.stdout?.on('data', (chunk: Buffer) => {
      if (/step 1\/8/.test(chunk.toString())) run.child.stdout?.destroy();
    });

    const code = await run.exited;

    expect(code).toBe(1);
    expect(run.output()).not.toMatch(/EPIPE\n\s+at /); // no stack trace
    expect(lastLine(run.output())).toBe(
      'ROLLED-BACK: interrupted: the execution was stopped: stdout closed (EPIPE); fledge recovery restored the baseline',
    );
    expect(await readAlias('pipe-fn', 'live')).toEqual({ version: '1', weights: {} });
    expect(await recordOf('pipe-fn')).toMatchObject({ status: 'rolled-back' });
  });

  it.each([
    ['an uncaught exception', "throw new Error('the hook timer broke')", 'uncaught exception'],
    ['an unhandled rejection', "Promise.reject(new Error('the hook timer broke'))", 'unhandled rejection'],
  ])('on %s mid-bake: baseline, record closed, exit 1, says why', async (_, breaking, kind) => {
    const name = kind === 'uncaught exception' ? 'throw-fn' : 'reject-fn';
    await healthy(name);
    const hook = hookThatBreaksLater(breaking);
    const input = release(name, { hooks: { beforeAllowTraffic: 'fledge-hook-breaks' } });
    const run = spawnFledge('run', input, ['--hook', `fledge-hook-breaks=${hook}`], env());

    await run.waitFor(/step 1\/1: 30% to version 2/);
    const code = await run.exited;

    expect(code).toBe(1);
    expect(run.output()).toContain(`fledge: ${kind}: Error: the hook timer broke: stopping the rollout`);
    expect(lastLine(run.output())).toBe(
      `ROLLED-BACK: interrupted: the execution was stopped: ${kind} (Error: the hook timer broke); fledge recovery restored the baseline`,
    );
    expect(await readAlias(name, 'live')).toEqual({ version: '1', weights: {} });
    expect(await recordOf(name)).toMatchObject({ status: 'rolled-back' });
  });
});

describe('a local run holds a lease on its target', () => {
  it('fledge recover refuses while it runs, naming it; --force restores, and the run notices and writes no traffic again', async () => {
    // Prepare: a local run baking at 30%, its record in the table.
    await healthy('lease-fn');
    const run = spawnFledge('run', release('lease-fn'), [], env());
    await run.waitFor(/step 1\/1: 30% to version 2/);

    // Act
    const refused = await fledgeCli('recover', release('lease-fn'), ['--json'], env());
    const splitWhileRefused = await readAlias('lease-fn', 'live');
    const forced = await fledgeCli('recover', release('lease-fn'), ['--force', '--yes', '--json'], env());
    const code = await run.exited;

    // Assess
    expect(refused.code).toBe(2);
    expect(refused.report).toMatchObject({
      outcome: 'refused',
      reason: expect.stringMatching(
        /^a local run still holds alias lease-fn:live \(version 1 → 2\) \(arn:aws:states:.*:local-.*, baking, 30% on the canary\): its last heartbeat was at .*Nothing was changed \(--force/,
      ),
    });
    expect(splitWhileRefused).toEqual({ version: '1', weights: { '2': 0.3 } });
    expect(forced).toMatchObject({ code: 0, report: { outcome: 'rolled-back' } });
    expect(code).toBe(1);
    expect(run.output()).toMatch(
      /fledge: the target was taken from this run: .*: stopping the rollout, writing no traffic/,
    );
    expect(lastLine(run.output())).toMatch(
      /^STOPPED: interrupted \(the target was taken from this run: .*\); its rollout record was no longer this run's to restore \(already rolled-back\)/,
    );
    expect(await readAlias('lease-fn', 'live')).toEqual({ version: '1', weights: {} });
    expect(await recordOf('lease-fn')).toMatchObject({ status: 'rolled-back' });
  }, 60_000);
});

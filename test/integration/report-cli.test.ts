/**
 * `fledge run --report` and `fledge report` as a user runs them: the real CLI in a child process,
 * against moto, writing real files.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createFunctionWithAlias } from '../../local/fixtures';
import { useEndpoint } from '../../local/moto';
import type { Timeline } from '../../shared/report/timeline';
import { publishLambdaMinutes } from '../support/aws';
import { fledgeRun } from '../support/cli';
import { recordRollout } from '../support/rollouts';
import { toExecutionHistory } from '../support/sfn-history';
import { newerKinds } from '../support/target-kinds';

const exec = promisify(execFile);
const START = new Date('2026-11-02T10:00:00.000Z');
const dir = mkdtempSync(join(tmpdir(), 'fledge-report-'));

async function fledge(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return exec(process.execPath, ['bin/fledge.js', ...args], { timeout: 60_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
}

/** The timeline a report file embeds. */
function embedded(file: string): Timeline {
  const html = readFileSync(file, 'utf8');
  const json = /<script type="application\/json" id="fledge-timeline">(.*?)<\/script>/s.exec(html)?.[1];
  if (!json) throw new Error(`${file} embeds no timeline`);
  return JSON.parse(json) as Timeline;
}

describe('fledge run --report', () => {
  beforeAll(async () => {
    useEndpoint(inject('motoEndpoint'));
    await createFunctionWithAlias('report-fn', 'live', 2);
    await publishLambdaMinutes('report-fn', 'live', START, 30, {
      '1': { requests: 900, errors: 4 },
      '2': { requests: 100, errors: 6 },
    });
  });

  it('writes the report of the run it made, and still ends with the JSON result', async () => {
    const file = join(dir, 'run.html');

    const { code, stdout, report } = await fledgeRun(
      { target: { type: 'lambda-alias', functionName: 'report-fn', alias: 'live', version: '2' } },
      START,
      ['--json', '--report', file],
    );

    expect(code).toBe(1);
    expect(report).toMatchObject({ outcome: 'rolled-back' });
    const timeline = embedded(file);
    expect(timeline).toMatchObject({ title: 'report-fn:live', status: 'rolled-back', reason: report.reason });
    expect(timeline.checks.at(-1)).toMatchObject({ verdict: 'fail', action: 'rollback' });
    expect(timeline.minutes.length).toBeGreaterThan(0);
    expect(readFileSync(file, 'utf8')).toContain(
      '<span class="status status-rolled-back" id="fledge-status">',
    );
    expect(stdout.trim().split('\n')).toHaveLength(1);
  });
});

describe.each(newerKinds(START))('fledge run --report on an $kind target', ({ kind, prepare, title }) => {
  it("names the kind's target in the report's title, and charts its checks", async () => {
    useEndpoint(inject('motoEndpoint'));
    const name = `${kind.split('-')[0]}-report`;
    const target = await prepare(name);
    const file = join(dir, `${kind}.html`);

    const { code, report } = await fledgeRun(
      { ...target.input, strategy: { steps: [{ weight: 50, bakeMinutes: 3 }] } },
      START,
      ['--json', '--report', file],
    );

    expect(code).toBe(0);
    expect(report).toMatchObject({ outcome: 'promoted' });
    const timeline = embedded(file);
    expect(timeline).toMatchObject({
      title: expect.stringMatching(title(name)),
      status: 'promoted',
    });
    expect(timeline.checks.length).toBeGreaterThan(0);
    expect(timeline.minutes.length).toBeGreaterThan(0);
  });
});

describe('fledge report', () => {
  it('writes the report of a history saved by the AWS CLI', async () => {
    const recorded = await recordRollout('promoted');
    const history = join(dir, 'history.json');
    writeFileSync(history, JSON.stringify({ events: toExecutionHistory(recorded.events) }));
    const file = join(dir, 'from-history.html');

    const { code, stdout } = await fledge(['report', '--history', history, '--output', file]);

    expect(code).toBe(0);
    expect(stdout).toContain(`report written to ${file}`);
    expect(embedded(file)).toMatchObject({ status: 'promoted', checks: recorded.timeline.checks });
  });

  it.each([
    [[], /give --execution <execution ARN>, or --history <file>/],
    [['--execution', 'checkout-release-7'], /'checkout-release-7' is not a Step Functions execution ARN/],
    [
      ['--execution', 'arn:aws:states:us-east-1:123456789012:execution:fledge-canary-prod:no-such-run'],
      /^fledge: no execution arn:.*:no-such-run in Step Functions \(region us-east-1, the ARN's\): check the ARN; .*Nothing was written$/m,
    ],
    [
      ['--history', 'history-not-saved.json'],
      /^fledge: cannot read the history .*history-not-saved\.json: no such file\nusage: fledge report /,
    ],
  ])('exits 2 with a message on %j', async (args, message) => {
    const { code, stderr } = await fledge(['report', ...args]);

    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it('exits 2, as for --input, when the history file is not JSON', async () => {
    const text = join(dir, 'history.txt');
    writeFileSync(text, 'Execution history of checkout-release-7');

    const { code, stderr } = await fledge(['report', '--history', text]);

    expect(code).toBe(2);
    expect(stderr).toMatch(/^fledge: the history .*history\.txt is not JSON: /);
  });

  it.each([[{ executions: [] }], [{}], [[]], [42]])(
    'exits 2, an invalid input, when the history file %j is JSON but not a history',
    async (notHistory) => {
      const bad = join(dir, 'not-history.json');
      writeFileSync(bad, JSON.stringify(notHistory));

      const { code, stderr } = await fledge(['report', '--history', bad]);

      expect(code).toBe(2);
      expect(stderr).toMatch(
        /^fledge: not an execution history: expected the JSON of `aws stepfunctions get-execution-history`/,
      );
      expect(stderr).not.toMatch(/TypeError/);
    },
  );
});

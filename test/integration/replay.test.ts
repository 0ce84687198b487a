/**
 * `fledge replay` over metrics published beforehand in moto: it reports what a live run would have
 * decided, and when, and never touches the alias.
 */
import { LambdaClient, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createFunctionWithAlias, createRolloutTable } from '../../local/fixtures';
import { useEndpoint } from '../../local/moto';
import { publishLambdaMinutes, readAlias } from '../support/aws';
import { fledgeCli, fledgeRun } from '../support/cli';

const START = new Date('2026-11-05T14:00:00.000Z');
const TABLE = 'fledge-replay-test';

const replay = (input: unknown, extra: string[]) =>
  fledgeCli('replay', input, ['--start', START.toISOString(), ...extra]);

const last = (stdout: string) =>
  JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;

describe('fledge replay', () => {
  beforeAll(async () => {
    useEndpoint(inject('motoEndpoint'));
    await createRolloutTable(TABLE);
    await createFunctionWithAlias('replay-fn', 'live', 3);
    // Last week's releases: version 2 was healthy; version 3 failed 8% of its requests.
    await publishLambdaMinutes('replay-fn', 'live', START, 30, {
      '1': { requests: 900, errors: 4 },
      '2': { requests: 100, errors: 0 },
      '3': { requests: 100, errors: 8 },
    });
  });

  it('says a bad release would have been rolled back, when and why, and exits 1 as fledge run would', async () => {
    const input = {
      target: { type: 'lambda-alias', functionName: 'replay-fn', alias: 'live', version: '3' },
    };

    const { code, stdout } = await replay(input, ['--baseline', '1', '--json']);

    expect(code).toBe(1);
    const report = last(stdout);
    expect(report).toMatchObject({ outcome: 'rolled-back', replay: true });
    expect(String(report.reason)).toMatch(/canary error rate is higher than baseline/);
    const decidedAt = Date.parse(String(report.decidedAt));
    expect(decidedAt).toBeGreaterThan(START.getTime());
    expect(decidedAt).toBeLessThanOrEqual(START.getTime() + 6 * 60_000);
    expect(await readAlias('replay-fn', 'live')).toEqual({ version: '1', weights: {} });
  });

  it('says a healthy release would have been promoted', async () => {
    const input = {
      target: { type: 'lambda-alias', functionName: 'replay-fn', alias: 'live', version: '2' },
      strategy: 'Linear10PercentEvery1Minute',
    };

    const { code, stdout } = await replay(input, ['--baseline', '1', '--json']);

    expect(code).toBe(0);
    expect(last(stdout)).toMatchObject({
      outcome: 'promoted',
      replay: true,
      replayed: { baseline: '1', canary: '2' },
    });
    expect(await readAlias('replay-fn', 'live')).toEqual({ version: '1', weights: {} });
  });

  it('runs no hook: the decision rests on the metrics, and the progress says the hooks were not run', async () => {
    // Prepare: hooks that, were they looked up or invoked, would refuse or fail the replay (moto has
    // no such functions).
    const input = {
      target: { type: 'lambda-alias', functionName: 'replay-fn', alias: 'live', version: '2' },
      strategy: 'Linear10PercentEvery1Minute',
      hooks: { beforeAllowTraffic: 'fledge-hook-replay-smoke', afterAllowTraffic: 'fledge-hook-replay-e2e' },
    };

    // Act
    const json = await replay(input, ['--baseline', '1', '--json']);
    const { stdout } = await replay(input, ['--baseline', '1']);

    // Assess
    expect(json.code).toBe(0);
    expect(last(json.stdout)).toMatchObject({ outcome: 'promoted' });
    expect(stdout).toMatch(
      /^hook beforeAllowTraffic \(fledge-hook-replay-smoke\): not run in a replay \(taken as passed\)$/m,
    );
    expect(stdout).toMatch(
      /^hook afterAllowTraffic \(fledge-hook-replay-e2e\): not run in a replay \(taken as passed\)$/m,
    );
  });

  it("shows an adaptive ramp's rungs and the weights it would have sent", async () => {
    const input = {
      target: { type: 'lambda-alias', functionName: 'replay-fn', alias: 'live', version: '2' },
      strategy: 'Adaptive',
    };

    const { code, stdout } = await replay(input, ['--baseline', '1']);

    expect(code).toBe(0);
    expect(stdout).toMatch(/steps 8%\/1m → 24%\/1m → 72%\/1m/);
    expect(stdout).toMatch(/may promote early, from any rung/);
    expect(stdout).toMatch(/^step 1\/3: would send 8% to version 2 /m);
    expect(stdout).toMatch(/^step 2\/3: would send 24% to version 2 /m);
    expect(stdout.trim().split('\n').at(-1)).toMatch(/^would have PROMOTED at /);
    expect(await readAlias('replay-fn', 'live')).toEqual({ version: '1', weights: {} });
  });

  it('prints progress and the decision for a person', async () => {
    const input = {
      target: { type: 'lambda-alias', functionName: 'replay-fn', alias: 'live', version: '3' },
    };

    const { stdout } = await replay(input, ['--baseline', '1']);

    expect(stdout).toMatch(/check \d+: regression: .* → would roll back$/m);
    // Checks are timed on the replayed timeline, not the wall clock: START is 14:00, and the first check
    // waits for the first minute to be readable (its end, the 1-minute lag, 5 s); it reads the regression.
    expect(stdout).toMatch(
      /^step 1\/1: would send 10% to version 3 .*; first check at 14:02:05Z \(in 2m 5s\)$/m,
    );
    expect(stdout).toMatch(/^ {2}check 1: regression: .* → would roll back$/m);
    expect(stdout).toMatch(/^would roll back: all traffic back to version 1$/m);
    // Nothing happened in a replay: no line says it did.
    expect(stdout).not.toMatch(/RolledBack|^roll back|^step 1\/1: 10%/m);
    expect(stdout.trim().split('\n').at(-1)).toMatch(/^would have ROLLED-BACK at 2026-11-05T14:02:05.000Z: /);
  });

  describe('without --baseline', () => {
    const release3 = (functionName: string) => ({
      target: { type: 'lambda-alias', functionName, alias: 'live', version: '3' },
      strategy: { steps: [{ weight: 10, bakeMinutes: 5 }] },
    });

    it('takes the baseline fledge recorded for the release, not the version the alias is on now', async () => {
      // Prepare: fledge ran version 3 over version 1 (rolled back); later, the alias moved to version 2.
      await createFunctionWithAlias('replay-later-fn', 'live', 3);
      await publishLambdaMinutes('replay-later-fn', 'live', START, 30, {
        '1': { requests: 900, errors: 4 },
        '2': { requests: 100, errors: 0 },
        '3': { requests: 100, errors: 8 },
      });
      const ran = await fledgeRun(release3('replay-later-fn'), START, ['--json'], { FLEDGE_TABLE: TABLE });
      await new LambdaClient({}).send(
        new UpdateAliasCommand({ FunctionName: 'replay-later-fn', Name: 'live', FunctionVersion: '2' }),
      );

      // Act
      const replayed = await fledgeCli(
        'replay',
        release3('replay-later-fn'),
        ['--start', START.toISOString(), '--json'],
        { FLEDGE_TABLE: TABLE },
      );

      // Assess
      expect(ran.report).toMatchObject({ outcome: 'rolled-back' });
      expect(replayed.code).toBe(1);
      expect(replayed.report).toMatchObject({
        outcome: 'rolled-back',
        replay: true,
        replayed: { baseline: '1', canary: '3' },
      });
    }, 60_000);

    it('refuses when fledge has no record of the release, naming the versions seen, and asks for --baseline', async () => {
      const input = {
        target: { type: 'lambda-alias', functionName: 'replay-fn', alias: 'live', version: '3' },
      };

      const { code, report } = await replay(input, ['--json']);

      expect(code).toBe(2);
      expect(report).toMatchObject({
        outcome: 'rejected',
        reason: expect.stringMatching(
          /the baseline of .* in the replayed window is unknown: .*pass --baseline <version> \(versions CloudWatch saw serve it: 1, 2\)$/,
        ),
      });
    });
  });

  describe('a release of several targets', () => {
    const release = (versions: { a: string; b: string }) => ({
      release: 'replayed-shop',
      targets: [
        { type: 'lambda-alias', functionName: 'replay-fn', alias: 'live', version: versions.a },
        { type: 'lambda-alias', functionName: 'replay-fn-b', alias: 'live', version: versions.b },
      ],
      strategy: 'Linear10PercentEvery1Minute',
    });
    const BASELINES = ['--baseline', 'replay-fn:live=1,replay-fn-b:live=1'];

    beforeAll(async () => {
      await createFunctionWithAlias('replay-fn-b', 'live', 2);
      await publishLambdaMinutes('replay-fn-b', 'live', START, 30, {
        '1': { requests: 900, errors: 4 },
        '2': { requests: 100, errors: 0 },
      });
    });

    it('replays every target at alpha/n and beta/n and promotes the release only when all pass', async () => {
      const { code, stdout } = await replay(release({ a: '2', b: '2' }), [...BASELINES, '--json']);

      expect(code).toBe(0);
      const report = last(stdout);
      expect(report).toMatchObject({
        outcome: 'promoted',
        replay: true,
        release: { name: 'replayed-shop' },
        replayed: {
          targets: [
            { name: 'replay-fn:live', baseline: '1', canary: '2', verdict: 'pass' },
            { name: 'replay-fn-b:live', baseline: '1', canary: '2', verdict: 'pass' },
          ],
        },
      });
      // Each target was judged at half the release's beta (the default 0.01, two targets): 1 / 0.005 = 200.
      for (const t of (report.replayed as { targets: Array<{ reason: string }> }).targets)
        expect(t.reason).toMatch(/≥ 200 \(beta 0\.005\)$/);
      expect(await readAlias('replay-fn-b', 'live')).toEqual({ version: '1', weights: {} });
    }, 60_000);

    it('rolls the whole release back when one target regressed, printing each target and the verdict', async () => {
      const json = await replay(release({ a: '3', b: '2' }), [...BASELINES, '--json']);
      const { stdout } = await replay(release({ a: '3', b: '2' }), BASELINES);

      expect(json.code).toBe(1);
      expect(last(json.stdout)).toMatchObject({
        outcome: 'rolled-back',
        reason: expect.stringMatching(/^replay-fn:live: canary error rate is higher than baseline/),
        replayed: {
          targets: [
            { name: 'replay-fn:live', verdict: 'fail' },
            { name: 'replay-fn-b:live', canary: '2' },
          ],
        },
      });
      expect(stdout).toMatch(
        /^ {2}alias replay-fn:live \(version 1 → 3\): fail: canary error rate is higher/m,
      );
      expect(stdout).toMatch(/^ {2}alias replay-fn-b:live \(version 1 → 2\): /m);
      expect(stdout.trim().split('\n').at(-1)).toMatch(/^would have ROLLED-BACK at .*: replay-fn:live: /);
    }, 60_000);

    it('refuses a bare --baseline for a release: it names no target', async () => {
      const { code, report } = await replay(release({ a: '2', b: '2' }), ['--baseline', '1', '--json']);

      expect(code).toBe(2);
      expect(report).toMatchObject({
        outcome: 'rejected',
        reason: expect.stringMatching(
          /--baseline for a release is <target>=<version>.*replay-fn:live, replay-fn-b:live; got '1'/,
        ),
      });
    });
  });
});

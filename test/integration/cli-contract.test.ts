/**
 * The CLI's contract, as a new user meets it: the real `bin/fledge.js` in a child process, against moto.
 * Usage errors exit 2 with one line (or one JSON line); a missing region or credentials says what to set;
 * a real account is named and confirmed before traffic moves, and a virtual clock is refused there; a
 * local run's events say they are local and stay off a real account's bus; a hook can be served from a
 * local module; a reason with a double quote comes through whole.
 *
 * "A real account" here is moto with FLEDGE_EMULATOR=false: the CLI then treats the endpoint as AWS, so
 * every guard runs while no request leaves 127.0.0.1.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LambdaClient, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createFunctionWithAlias } from '../../local/fixtures';
import { useEndpoint } from '../../local/moto';
import { eventQueue, publishLambdaMinutes, readAlias } from '../support/aws';
import { fledgeArgs, fledgeOnTerminal, inputFile } from '../support/cli';

const START = '2026-11-02T10:00:00.000Z';
const dir = mkdtempSync(join(tmpdir(), 'fledge-contract-'));
const VIRTUAL = ['--clock', 'virtual', '--start', START];
/** moto, as the CLI would see a real account. */
const REAL = { FLEDGE_EMULATOR: 'false' };
const NO_STACK = /^\s+at /m;

const target = (functionName: string, version = '2') => ({
  type: 'lambda-alias',
  functionName,
  alias: 'live',
  version,
});
const input = (functionName: string, extra: Record<string, unknown> = {}) =>
  inputFile({ target: target(functionName), strategy: 'Canary10Percent5Minutes', ...extra });

/** A function with versions 1 and 2 behind alias live, and 40 healthy minutes from START. */
async function healthyFunction(name: string): Promise<void> {
  await createFunctionWithAlias(name, 'live', 2);
  await publishLambdaMinutes(name, 'live', new Date(START), 40, {
    '1': { requests: 900, errors: 4 },
    '2': { requests: 100, errors: 0 },
  });
}

beforeAll(async () => {
  useEndpoint(inject('motoEndpoint'));
  await Promise.all(
    [
      'contract-fn',
      'contract-quote-fn',
      'contract-hook-fn',
      'contract-tty-fn',
      'contract-yes-fn',
      'contract-events-fn',
      'contract-publish-fn',
      'contract-split-fn',
      'contract-profile-fn',
    ].map(healthyFunction),
  );
  // Left split by a rollout that kept no record: what `fledge recover` restores.
  await new LambdaClient({}).send(
    new UpdateAliasCommand({
      FunctionName: 'contract-split-fn',
      Name: 'live',
      FunctionVersion: '1',
      RoutingConfig: { AdditionalVersionWeights: { '2': 0.1 } },
    }),
  );
});

describe('a usage error', () => {
  const file = () => input('contract-fn');
  it.each([
    [
      '--clock fake',
      () => ['run', '--input', file(), '--clock', 'fake'],
      /argument 'fake' is invalid\. Allowed choices are real, virtual/,
    ],
    [
      'a bad --start',
      () => ['run', '--input', file(), ...VIRTUAL.slice(0, 3), 'yesterday'],
      /'yesterday' is not an ISO 8601 time/,
    ],
    [
      'a --watch --interval that is not a number',
      () => ['status', 'checkout:live', '--watch', '--interval', 'abc'],
      /option '--interval <seconds>' argument 'abc' is invalid\. 'abc' is not a positive number of seconds/,
    ],
    [
      'a --watch --interval that is not positive',
      () => ['status', 'checkout:live', '--watch', '--interval', '-5'],
      /option '--interval <seconds>' argument '-5' is invalid/,
    ],
    [
      // Past Node's longest timer, a refresh would come every millisecond.
      'a --watch --interval too long to wait',
      () => ['status', 'checkout:live', '--watch', '--interval', '3000000'],
      /argument '3000000' is invalid\. '3000000' is not a positive number of seconds up to 3600/,
    ],
    [
      // Without --watch it would be ignored, and the user left waiting for refreshes that never come.
      'an --interval without --watch',
      () => ['status', 'checkout:live', '--interval', '5'],
      /^--interval only applies with --watch/,
    ],
    [
      // No table is configured here: what is wrong with the name comes first.
      'a rollout name that is neither <function>:<alias> nor a release name',
      () => ['status', 'check out'],
      /^the rollout argument 'check out' is not a rollout: name an execution ARN/,
    ],
    [
      'a rollout name with too many parts',
      () => ['abort', 'a:b:c', '--reason', 'x'],
      /^the rollout argument 'a:b:c' is not a rollout/,
    ],
    [
      'an ARN that is not an execution’s',
      () => ['pause', 'arn:aws:states:eu-west-1:123456789012:stateMachine:fledge-canary-prod'],
      /^the rollout argument 'arn:aws:states:eu-west-1:123456789012:stateMachine:fledge-canary-prod' is not a rollout: it is not a Step Functions execution ARN/,
    ],
    [
      '--start without --clock virtual',
      () => ['run', '--input', file(), '--start', START],
      /--start needs --clock virtual/,
    ],
    ['a missing --input', () => ['run'], /required option '-i, --input <file>' not specified/],
    [
      'an input file that is not there',
      () => ['run', '--input', join(dir, 'none.json')],
      /cannot read the input .*none\.json: no such file/,
    ],
    ['an unknown option', () => ['run', '--input', file(), '--colour'], /unknown option '--colour'/],
    ['an unknown command', () => ['rnu'], /unknown command 'rnu'/],
    [
      'replay without --start',
      () => ['replay', '--input', file()],
      /required option '--start <iso8601>' not specified/,
    ],
    [
      'a --hook that is not function=module',
      () => ['run', '--input', file(), '--hook', 'smoke'],
      /--hook 'smoke' is not <function>=<module>/,
    ],
  ])('(%s) exits 2 with one JSON line under --json', async (_name, args, reason) => {
    const { code, stdout, report } = await fledgeArgs([...args(), '--json']);

    expect(code).toBe(2);
    expect(report).toEqual({ outcome: 'rejected', reason: expect.stringMatching(reason) });
    expect(stdout.trim().split('\n')).toHaveLength(1);
  });

  it.each([
    [
      '--clock fake',
      ['run', '--input', 'x.json', '--clock', 'fake'],
      /^fledge: option '--clock <kind>' argument 'fake' is invalid/,
      /^usage: fledge run --input <file> \[options\] \(fledge run --help lists the options\)$/,
    ],
    [
      'an unknown command',
      ['rnu'],
      /^fledge: unknown command 'rnu'/,
      /^usage: fledge <command> \[options\] \(fledge --help lists the commands\)$/,
    ],
  ])('(%s) says what was wrong in one line, then how to call it', async (_name, args, message, usage) => {
    const { code, stdout, stderr } = await fledgeArgs(args);

    expect(code).toBe(2);
    expect(stdout).toBe('');
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(message);
    expect(lines[1]).toMatch(usage);
  });
});

describe('the AWS set-up', () => {
  const NO_CONFIG = {
    AWS_PROFILE: undefined,
    AWS_CONFIG_FILE: join(dir, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
  };
  const NO_REGION = { ...NO_CONFIG, AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined };
  const NO_CREDENTIALS = {
    ...NO_CONFIG,
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
    AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  const commands = (file: string): Array<[string, string[]]> => [
    ['run', ['run', '--input', file, ...VIRTUAL]],
    ['replay', ['replay', '--input', file, '--start', START, '--baseline', '1']],
    ['recover', ['recover', '--input', file]],
  ];

  it.each(commands(input('contract-fn')))(
    'without a region, %s says to set AWS_REGION or --region and exits 2',
    async (_name, args) => {
      const plain = await fledgeArgs(args, NO_REGION);
      const json = await fledgeArgs([...args, '--json'], NO_REGION);

      expect(plain.code).toBe(2);
      expect(plain.stderr.trim()).toMatch(/^fledge: no AWS region: set AWS_REGION .*pass --region/);
      expect(plain.stderr).not.toMatch(NO_STACK);
      expect(json.code).toBe(2);
      expect(json.report).toEqual({ outcome: 'rejected', reason: expect.stringMatching(/^no AWS region/) });
    },
  );

  it.each(commands(input('contract-fn')))(
    'without credentials, %s says to set AWS_PROFILE or keys and exits 2',
    async (_name, args) => {
      const { code, stderr } = await fledgeArgs(args, NO_CREDENTIALS);

      expect(code).toBe(2);
      expect(stderr.trim()).toMatch(
        /^fledge: no AWS credentials: set AWS_PROFILE .*AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
      );
      expect(stderr).not.toMatch(NO_STACK);
    },
  );

  it.each([
    ['run', 'contract-fn', ['run', '--input', input('contract-fn'), ...VIRTUAL]],
    // Left split: recovery would change it, were the table there.
    ['recover', 'contract-split-fn', ['recover', '--input', input('contract-split-fn')]],
  ])(
    'with FLEDGE_TABLE naming no table, %s names it and exits 2, changing nothing',
    async (_name, fn, args) => {
      // Prepare
      const before = await readAlias(fn, 'live');
      const env = { FLEDGE_TABLE: 'contract-no-such-table' };

      // Act
      const plain = await fledgeArgs(args, env);
      const json = await fledgeArgs([...args, '--json'], env);

      // Assess
      expect(plain.code).toBe(2);
      expect(plain.stderr.trim()).toMatch(
        /^fledge: no rollout table 'contract-no-such-table' \(from FLEDGE_TABLE\) in this account and region: check FLEDGE_TABLE .*Nothing was changed$/,
      );
      expect(plain.stderr).not.toMatch(NO_STACK);
      expect(json.code).toBe(2);
      expect(json.report).toEqual({
        outcome: 'rejected',
        reason: expect.stringMatching(/^no rollout table 'contract-no-such-table'/),
      });
      expect(await readAlias(fn, 'live')).toEqual(before);
    },
  );

  it('takes the region from --region', async () => {
    const { code, report } = await fledgeArgs(
      ['recover', '--input', input('contract-fn'), '--region', 'us-east-1', '--json'],
      NO_REGION,
    );

    expect(code).toBe(0);
    expect(report).toMatchObject({ outcome: 'nothing-to-do' });
  });
});

describe('a real AWS account', () => {
  it('refuses --clock virtual without an emulator, before any AWS call', async () => {
    // No endpoint at all: the SDK would call AWS itself. The fake credentials would fail any real call.
    const { code, report } = await fledgeArgs(
      ['run', '--input', input('contract-fn'), ...VIRTUAL, '--json'],
      {
        AWS_ENDPOINT_URL: undefined,
      },
    );

    expect(code).toBe(2);
    expect(report.outcome).toBe('rejected');
    expect(String(report.reason)).toMatch(
      /^--clock virtual against AWS would move live traffic through every step in seconds.*--virtual-clock-on-aws/,
    );
  });

  it('refuses --clock virtual through an endpoint that reaches a real account', async () => {
    const { code, stderr } = await fledgeArgs(['run', '--input', input('contract-fn'), ...VIRTUAL], REAL);

    expect(code).toBe(2);
    expect(stderr).toMatch(
      /^fledge: --clock virtual against AWS through http:\/\/127\.0\.0\.1:\d+ would move/,
    );
    expect(await readAlias('contract-fn', 'live')).toEqual({ version: '1', weights: {} });
  });

  it.each([
    ['run', 'contract-fn', (file: string) => ['run', '--input', file, ...VIRTUAL, '--virtual-clock-on-aws']],
    ['recover', 'contract-split-fn', (file: string) => ['recover', '--input', file]],
  ])(
    '%s names the account, region and target, and refuses without --yes when stdin is no terminal',
    async (_name, functionName, args) => {
      const before = await readAlias(functionName, 'live');

      const { code, stderr, report } = await fledgeArgs([...args(input(functionName)), '--json'], REAL);

      expect(code).toBe(2);
      expect(stderr).toMatch(
        new RegExp(
          `^fledge: about to .*alias ${functionName}:live \\(version 2\\).* in AWS account 123456789012 \\(arn:aws:sts::123456789012:user/moto\\), region us-east-1`,
        ),
      );
      expect(String(report.reason)).toMatch(/stdin is not a terminal to confirm it: pass --yes to go ahead/);
      expect(await readAlias(functionName, 'live')).toEqual(before);
    },
  );

  it('recover says what it would restore, and asks nothing when there is nothing to restore', async () => {
    const split = await fledgeArgs(['recover', '--input', input('contract-split-fn')], REAL);
    const clean = await fledgeArgs(['recover', '--input', input('contract-fn'), '--json'], REAL);

    expect(split.stderr).toMatch(
      /about to restore the baseline of alias contract-split-fn:live \(version 2\) \(now alias live: 90% to version 1, 10% to version 2; no rollout record\)/,
    );
    expect(clean.code).toBe(0);
    expect(clean.stderr).not.toMatch(/about to/);
    expect(clean.report).toMatchObject({ outcome: 'nothing-to-do' });
  });

  it('asks at a terminal, and changes nothing unless the answer is yes', async () => {
    const args = ['run', '--input', input('contract-tty-fn'), ...VIRTUAL, '--virtual-clock-on-aws'];

    const declined = await fledgeOnTerminal(args, '[y/N]', 'n', REAL);

    expect(declined.code).toBe(2);
    expect(declined.output).toMatch(/in AWS account 123456789012 .*\n.*Go ahead\? \[y\/N\]/);
    expect(declined.output).toMatch(/fledge: not confirmed\. Nothing was changed/);
    expect(await readAlias('contract-tty-fn', 'live')).toEqual({ version: '1', weights: {} });

    const accepted = await fledgeOnTerminal(args, '[y/N]', 'y', REAL);

    expect(accepted.code).toBe(0);
    expect(accepted.output).toMatch(/PROMOTED: /);
    expect(await readAlias('contract-tty-fn', 'live')).toEqual({ version: '2', weights: {} });
  });

  it('goes ahead with --yes, and keeps the local run’s events off the account’s bus', async () => {
    const received = await eventQueue('contract-yes-fn');

    const { code, stderr, report } = await fledgeArgs(
      ['run', '--input', input('contract-yes-fn'), ...VIRTUAL, '--virtual-clock-on-aws', '--yes', '--json'],
      REAL,
    );

    expect(code).toBe(0);
    expect(report.outcome).toBe('promoted');
    expect(stderr).toMatch(
      /about to run a rollout of alias contract-yes-fn:live \(version 2\) on a virtual clock/,
    );
    expect(stderr).toMatch(
      /\d+ lifecycle event\(s\) of this local run were not put on the account's EventBridge bus/,
    );
    expect(await received()).toEqual([]);
  });

  it('puts the events there, marked local, with --publish-events', async () => {
    const received = await eventQueue('contract-publish-fn');

    const { code } = await fledgeArgs(
      [
        'run',
        '--input',
        input('contract-publish-fn'),
        ...VIRTUAL,
        '--virtual-clock-on-aws',
        '--yes',
        '--publish-events',
      ],
      REAL,
    );

    expect(code).toBe(0);
    const events = await received();
    expect(events.map((e) => e['detail-type'])).toEqual([
      'Canary Started',
      'Canary Weight Changed',
      'Canary Promoted',
    ]);
    for (const event of events) {
      expect(event.detail).toMatchObject({ local: true, trigger: { source: 'local' } });
    }
  });
});

describe('an emulator', () => {
  it('asks nothing, and gets the local run’s events, marked local', async () => {
    const received = await eventQueue('contract-events-fn');

    const { code, stderr } = await fledgeArgs(['run', '--input', input('contract-events-fn'), ...VIRTUAL]);

    expect(code).toBe(0);
    expect(stderr).not.toMatch(/about to|AWS account/);
    const events = await received();
    expect(events.length).toBe(3);
    for (const event of events) {
      expect(event.detail).toMatchObject({
        local: true,
        trigger: { source: 'local' },
        executionId: expect.stringMatching(/:execution:fledge-canary:local-/),
      });
    }
  });
});

describe('an emulator named by the AWS profile', () => {
  it('is one: the profile’s endpoint_url reaches moto, and nothing is asked', async () => {
    const endpoint = inject('motoEndpoint');
    const config = join(dir, 'aws-config');
    writeFileSync(
      config,
      [
        '[profile moto]',
        'region = us-east-1',
        `endpoint_url = ${endpoint}`,
        'aws_access_key_id = testing',
        'aws_secret_access_key = testing',
        '',
      ].join('\n'),
    );

    const { code, stderr, report } = await fledgeArgs(
      ['run', '--input', input('contract-profile-fn'), ...VIRTUAL, '--json'],
      {
        AWS_ENDPOINT_URL: undefined,
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_SESSION_TOKEN: undefined,
        AWS_PROFILE: 'moto',
        AWS_CONFIG_FILE: config,
      },
    );

    expect(stderr).not.toMatch(/about to|AWS account|against AWS|fledge:/);
    expect(code).toBe(0);
    expect(report.outcome).toBe('promoted');
    expect(await readAlias('contract-profile-fn', 'live')).toEqual({ version: '2', weights: {} });
  });

  it('is not one when the SDK is told to ignore configured endpoints', async () => {
    const { code, stderr } = await fledgeArgs(['run', '--input', input('contract-fn'), ...VIRTUAL], {
      AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true',
    });

    expect(code).toBe(2);
    expect(stderr).toMatch(/^fledge: --clock virtual against AWS would move live traffic/);
  });
});

describe('hooks served from a local module', () => {
  const hooked = () => input('contract-hook-fn', { hooks: { beforeAllowTraffic: 'fledge-hook-smoke' } });
  const HOOK = ['--hook', 'fledge-hook-smoke=examples/hooks/smoke.mjs'];

  it('when not served and not in the account, refuse the release, saying how to serve the hook', async () => {
    // Act: the README's command without its --hook (moto has no function fledge-hook-smoke).
    const { code, report } = await fledgeArgs(['run', '--input', hooked(), ...VIRTUAL, '--json']);

    // Assess
    expect(code).toBe(2);
    expect(report).toMatchObject({
      outcome: 'rejected',
      reason:
        'invalid rollout input: hooks.beforeAllowTraffic: there is no Lambda function fledge-hook-smoke, and no --hook fledge-hook-smoke=<module> serves it from a local module',
    });
    expect(await readAlias('contract-hook-fn', 'live')).toEqual({ version: '1', weights: {} });
  });

  it('stop a release before any traffic moves when the hook reports Failed', async () => {
    const { code, stdout, stderr, report } = await fledgeArgs(
      ['run', '--input', hooked(), ...VIRTUAL, ...HOOK, '--json'],
      { SMOKE_FAIL: '1' },
    );

    expect(code).toBe(1);
    expect(stderr).toMatch(/smoke: BeforeAllowTraffic for contract-hook-fn:live, version 2 \(baseline 1\)/);
    expect(report).toMatchObject({ outcome: 'rolled-back', weight: 0 });
    expect(String(report.reason)).toMatch(
      /beforeAllowTraffic hook fledge-hook-smoke reported Failed; no traffic had moved/,
    );
    expect(stdout).not.toMatch(/step 1/);
    expect(await readAlias('contract-hook-fn', 'live')).toEqual({ version: '1', weights: {} });
  });

  it('let a release through when the hook passes', async () => {
    const { code, stdout } = await fledgeArgs(['run', '--input', hooked(), ...VIRTUAL, ...HOOK]);

    expect(code).toBe(0);
    expect(stdout).toMatch(/^hook beforeAllowTraffic \(fledge-hook-smoke\): passed$/m);
    expect(stdout.trim().split('\n').at(-1)).toMatch(/^PROMOTED: /);
    expect(await readAlias('contract-hook-fn', 'live')).toEqual({ version: '2', weights: {} });
  });
});

describe('a rollback reason with a double quote', () => {
  it('comes through whole, in the JSON line and in words', async () => {
    // The hook throws a message with double quotes: the rollback's reason and the Fail state's cause
    // carry it (the local interpreter's States.JsonToString once left it unescaped and crashed the CLI).
    const hook = join(dir, 'quote-hook.mjs');
    writeFileSync(
      hook,
      'export async function handler() { throw new Error(\'smoke test "checkout" got "500"\'); }\n',
    );
    const file = input('contract-quote-fn', { hooks: { beforeAllowTraffic: 'fledge-hook-quote' } });
    const args = ['run', '--input', file, ...VIRTUAL, '--hook', `fledge-hook-quote=${hook}`];

    const json = await fledgeArgs([...args, '--json']);
    const words = await fledgeArgs(args);

    expect(json.code).toBe(1);
    expect(json.report).toMatchObject({ outcome: 'rolled-back', weight: 0 });
    expect(String(json.report.reason)).toContain('smoke test "checkout" got "500"');
    expect(words.code).toBe(1);
    expect(words.stdout.trim().split('\n').at(-1)).toMatch(/^ROLLED-BACK: .*smoke test "checkout" got "500"/);
    expect(words.stderr).not.toMatch(NO_STACK);
  });
});

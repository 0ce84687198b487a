/**
 * How `fledge` starts: from a bundle built on the first run and rebuilt when a source changes (tsx when it
 * cannot be), loading only what the command uses, and without the AWS SDK's Node-version warning.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { useEndpoint } from '../../local/moto';
import { fledgeArgs, inputFile } from '../support/cli';

const VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
const CACHES = join('node_modules', '.cache');
const TRACE = pathToFileURL('test/support/trace-modules.mjs').href;
const ownCache = `fledge-cli-test-${process.pid}`;
const traces = mkdtempSync(join(tmpdir(), 'fledge-trace-'));

/** The modules a command loaded, by URL. */
async function loadedBy(args: string[]): Promise<string[]> {
  const file = join(traces, `${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(file, '');
  await fledgeArgs(args, { NODE_OPTIONS: `--import=${TRACE}`, FLEDGE_TRACE_MODULES: file });
  return readFileSync(file, 'utf8').trim().split('\n');
}

function manifest(name: string): { build: string; inputs: Record<string, [number, number]> } {
  return JSON.parse(readFileSync(join(CACHES, name, 'manifest.json'), 'utf8'));
}

beforeAll(() => {
  useEndpoint(inject('motoEndpoint'));
});

afterAll(() => {
  for (const name of [ownCache, `${ownCache}-blocked`])
    rmSync(join(CACHES, name), { recursive: true, force: true });
  rmSync(traces, { recursive: true, force: true });
});

describe('fledge --version, --help, run --help', () => {
  it('print the version, the commands of the table, and run’s options', async () => {
    const version = await fledgeArgs(['--version']);
    const help = await fledgeArgs(['--help']);
    const runHelp = await fledgeArgs(['run', '--help']);

    expect(version).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
    expect(help.code).toBe(0);
    for (const command of ['run', 'replay', 'report', 'recover'])
      expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(runHelp.code).toBe(0);
    for (const option of [
      '--clock <kind>',
      '--virtual-clock-on-aws',
      '--hook <function=module>',
      '--publish-events',
      '-y, --yes',
      '--region <region>',
      '--json',
    ]) {
      expect(runHelp.stdout).toContain(option);
    }
  });

  it.each([
    [['--version']],
    [['--help']],
    [['run', '--help']],
    [['run', '--clock', 'fake', '--input', 'x.json']],
  ])('%j loads neither the AWS SDK, nor the interpreter, nor the steps', async (args) => {
    const loaded = await loadedBy(args);

    expect(loaded.some((url) => url.includes('commander'))).toBe(true);
    expect(
      loaded.filter((url) =>
        /@aws-sdk|aws-local-stepfunctions|\/zod\/|\/yaml\/|@middy|@aws-lambda-powertools/.test(url),
      ),
    ).toEqual([]);
  });

  it('loads the SDK for a command that calls AWS, and prints no Node-version warning', async () => {
    const { code, stderr } = await fledgeArgs(
      [
        'recover',
        '--input',
        inputFile({
          target: { type: 'lambda-alias', functionName: 'absent-fn', alias: 'live', version: '2' },
        }),
      ],
      { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined },
    );

    // The function does not exist: recover fails, but it called AWS, so the SDK was loaded.
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/absent-fn/);
    expect(stderr).not.toMatch(/NodeVersionSupportWarning|Warning:/);
  });
});

describe('the bundle', () => {
  it('is built on the first run, reused, and rebuilt when a source it was built from changes', async () => {
    const env = { FLEDGE_CLI_CACHE_NAME: ownCache };

    const first = await fledgeArgs(['--version'], env);
    const built = manifest(ownCache);
    const again = await fledgeArgs(['--version'], env);
    const reused = manifest(ownCache);
    // An edit: the file's modification time moves (its content stays, so nothing else notices).
    const source = 'cli/shared/options.ts';
    const { atime, mtime } = statSync(source);
    utimesSync(source, atime, new Date(mtime.getTime() + 1000));
    const changed = await fledgeArgs(['--version'], env);
    const rebuilt = manifest(ownCache);

    expect([first.stdout, again.stdout, changed.stdout]).toEqual([
      `${VERSION}\n`,
      `${VERSION}\n`,
      `${VERSION}\n`,
    ]);
    expect(Object.keys(built.inputs)).toContain('cli/fledge.ts');
    expect(Object.keys(built.inputs)).toContain(source);
    expect(reused.build).toBe(built.build);
    expect(rebuilt.build).not.toBe(built.build);
    expect(statSync(join(CACHES, ownCache, rebuilt.build, 'fledge.mjs')).isFile()).toBe(true);
  });

  it('falls back to compiling with tsx when the cache cannot be written', async () => {
    // A file where the cache directory would be.
    mkdirSync(CACHES, { recursive: true });
    writeFileSync(join(CACHES, `${ownCache}-blocked`), 'not a directory');

    const blocked = await fledgeArgs(['--version'], { FLEDGE_CLI_CACHE_NAME: `${ownCache}-blocked` });
    const forced = await fledgeArgs(['run', '--clock', 'fake', '--input', 'x.json', '--json'], {
      FLEDGE_CLI_BUNDLE: '0',
    });

    expect(blocked).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
    expect(forced.code).toBe(2);
    expect(forced.report).toMatchObject({ outcome: 'rejected' });
  });
});

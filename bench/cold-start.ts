/**
 * `npm run bench:cold`: how long each function takes from process start until its handler is ready, on
 * Node 24 (Lambda's nodejs24.x), for each way of bundling it, against a bare `node -e ''` in the same run.
 *
 * "Ready" is what Lambda's INIT does before the first request: load the handler file as the runtime
 * does (require for .js/.cjs, import() for .mjs) and evaluate it, which wires the step's dependencies
 * and builds their SDK clients (shared/lambda/step-handler.ts). Each sample is one fresh process, timed
 * from spawn to exit, like the bare node it is compared with; runs are interleaved in a shuffled order
 * so that load from other processes falls on every variant alike. The variants differ from the deployed
 * esbuild settings (serverless.yml custom.esbuild) in one or more of: the AWS SDK bundled or left to the
 * runtime, minified or not, source maps or not (with NODE_OPTIONS=--enable-source-maps, as deployed
 * with them), and the output format.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, deflateRawSync } from 'node:zlib';
import { Command, InvalidArgumentError } from 'commander';
import { type BuildOptions, build } from 'esbuild';
import { node24 } from '../local/node24';
import { readServerlessConfig } from '../local/serverless-config';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, '.cache', 'bench-cold');

interface Variant {
  name: string;
  sdk: 'bundled' | 'runtime';
  minify: boolean;
  sourcemap: boolean;
  format: 'cjs' | 'esm';
  deployed: boolean;
}

interface Built {
  fn: string;
  variant: Variant;
  file: string;
  bundleBytes: number;
  zipBytes: number;
}

/** The deployed settings, and every combination of SDK × minify × source maps in the deployed format. */
export function variants(deployed: Omit<Variant, 'name' | 'deployed'>): Variant[] {
  const list: Variant[] = [];
  for (const sdk of ['bundled', 'runtime'] as const)
    for (const minify of [true, false])
      for (const sourcemap of [false, true]) list.push(variant({ ...deployed, sdk, minify, sourcemap }));
  const otherFormat = variant({ ...deployed, format: deployed.format === 'cjs' ? 'esm' : 'cjs' });
  list.push(otherFormat);
  return list.map((v) => ({ ...v, deployed: sameBuild(v, deployed) }));
}

function variant(v: Omit<Variant, 'name' | 'deployed'>): Variant {
  const name = [
    v.sdk === 'bundled' ? 'sdk bundled' : 'sdk from runtime',
    v.minify ? 'minified' : 'not minified',
    v.sourcemap ? 'source map' : 'no map',
    v.format,
  ].join(', ');
  return { ...v, name, deployed: false };
}

function sameBuild(a: Omit<Variant, 'name' | 'deployed'>, b: Omit<Variant, 'name' | 'deployed'>): boolean {
  return a.sdk === b.sdk && a.minify === b.minify && a.sourcemap === b.sourcemap && a.format === b.format;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

function shuffle<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

async function buildVariant(
  fn: string,
  entry: string,
  v: Variant,
  base: BuildOptions,
  index: number,
): Promise<Built> {
  const dir = join(OUT, `v${index}`, fn);
  rmSync(dir, { recursive: true, force: true });
  const ext = v.format === 'esm' ? '.mjs' : '.cjs';
  const external = (base.external ?? []).filter((e) => !e.startsWith('@aws-sdk/'));
  const result = await build({
    ...base,
    absWorkingDir: ROOT,
    entryPoints: [join(ROOT, entry)],
    outdir: join(dir, dirname(entry)),
    outExtension: { '.js': ext },
    format: v.format,
    minify: v.minify,
    sourcemap: v.sourcemap,
    external: v.sdk === 'runtime' ? [...external, '@aws-sdk/*'] : external,
    // An ESM bundle gets the require() that bundled CommonJS code calls; a CommonJS one has its own.
    banner:
      v.format === 'esm'
        ? { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" }
        : {},
    write: true,
    logLevel: 'error',
    metafile: true,
  });
  const files = Object.keys(result.metafile?.outputs ?? {}).map((f) => join(ROOT, f));
  const file = files.find((f) => f.endsWith(ext));
  if (!file) throw new Error(`esbuild wrote no ${ext} file for ${fn}`);
  // About what a zip of these files weighs: deflate at zlib's fastest level, as serverless-esbuild's
  // zips are written (archiver, whose compress-commons defaults to Z_BEST_SPEED).
  const zipBytes = files.reduce(
    (sum, f) => sum + deflateRawSync(readFileSync(f), { level: constants.Z_BEST_SPEED }).length + 100,
    0,
  );
  return { fn, variant: v, file, bundleBytes: statSync(file).size, zipBytes };
}

// Both programs end by printing the CPU time their process has used (all threads, user and system):
// less sensitive than wall time to other processes on a shared machine, as CI's is.
const CPU = 'const u = process.cpuUsage(); process.stdout.write(String(u.user + u.system));';

/** Loads a handler file as Lambda's Node.js runtime does, and fails unless it exports a handler function. */
const LOAD = `
const file = process.argv[1];
const load = file.endsWith('.mjs') ? import(require('node:url').pathToFileURL(file).href) : Promise.resolve(require(file));
load.then((m) => { if (typeof m.handler !== 'function') { console.error('no handler export'); process.exit(3); } ${CPU} });
`;

interface Sample {
  wallMs: number;
  cpuMs: number;
}

function time(node: string, args: string[], env: NodeJS.ProcessEnv): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(node, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (code === 0) resolve({ wallMs, cpuMs: Number(stdout) / 1000 });
      else reject(new Error(`${args.join(' ')} exited with ${code}: ${stderr}`));
    });
  });
}

/** What Lambda puts in a function's environment, with fake credentials, plus the deployed variables. */
function lambdaEnv(fn: string, variables: Record<string, string>, sourcemap: boolean): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _, ...rest } = variables;
  return {
    PATH: process.env.PATH,
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: `fledge-bench-${fn}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_ACCESS_KEY_ID: 'ASIABENCH',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SESSION_TOKEN: 'bench',
    ...rest,
    ...(sourcemap ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
  };
}

const KB = (bytes: number) => (bytes / 1024).toFixed(0);

async function main(): Promise<void> {
  const program = new Command('bench:cold')
    .description('Time handler-ready from process start on Node 24 for each function and bundling variant')
    .option('--reps <n>', 'samples per function and variant', (v) => positive(v), 7)
    .option('--functions <names>', 'comma-separated function names (default: all in serverless.yml)')
    .option('--deployed-only', 'only the deployed esbuild settings', false)
    .parse();
  const opts = program.opts<{ reps: number; functions?: string; deployedOnly: boolean }>();
  const config = readServerlessConfig();
  const node = node24();
  const names = opts.functions ? opts.functions.split(',') : Object.keys(config.functions);
  const deployed = config.bundling;
  const list = variants(deployed).filter((v) => !opts.deployedOnly || v.deployed);

  console.log(`building ${names.length} functions × ${list.length} variants with esbuild...`);
  const builds: Built[] = [];
  for (const fn of names) {
    const entry = config.functions[fn]?.entry;
    if (!entry) throw new Error(`no function ${fn} in serverless.yml`);
    for (const [i, v] of list.entries()) builds.push(await buildVariant(fn, entry, v, config.esbuild, i));
  }

  const bare = { key: 'bare', args: ['-e', CPU], env: { PATH: process.env.PATH } };
  const jobs = [
    bare,
    ...builds.map((b, i) => ({
      key: String(i),
      args: ['-e', LOAD, b.file],
      env: lambdaEnv(b.fn, config.environment, b.variant.sourcemap),
    })),
  ];
  const samples = new Map<string, Sample[]>(jobs.map((j) => [j.key, []]));
  const loadBefore = loadavg()[0] ?? 0;
  // One warm-up round fills the page cache, as a Lambda's code is on local disk before INIT.
  for (const job of jobs) await time(node, job.args, job.env);
  console.log(`timing ${jobs.length} commands × ${opts.reps} on ${node} ...`);
  for (let rep = 0; rep < opts.reps; rep++) {
    for (const job of shuffle(jobs, rep + 1)) samples.get(job.key)?.push(await time(node, job.args, job.env));
    process.stderr.write(`  round ${rep + 1} of ${opts.reps} done\n`);
  }
  const stats = (key: string) => {
    const list = samples.get(key) ?? [];
    return { wall: median(list.map((x) => x.wallMs)), cpu: median(list.map((x) => x.cpuMs)) };
  };

  const bareStats = stats('bare');
  const version = execFileSync(node, ['--version']).toString().trim();
  console.log(
    `\nNode ${version}, ${cpus().length} cores, 1-minute load average ${loadBefore.toFixed(1)} before and ` +
      `${(loadavg()[0] ?? 0).toFixed(1)} after; medians of ${opts.reps} fresh processes each`,
  );
  console.log(
    `bare \`node -e ''\`: ${bareStats.wall.toFixed(0)} ms wall (spawn to exit), ${bareStats.cpu.toFixed(0)} ms CPU\n`,
  );
  console.log('| function | variant | bundle KB | ≈ zip KB | wall ms | × bare | CPU ms | × bare |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  const rows = builds.map((b, i) => ({ b, ...stats(String(i)) }));
  for (const { b, wall, cpu } of rows) {
    const mark = b.variant.deployed ? ' **(deployed)**' : '';
    console.log(
      `| ${b.fn} | ${b.variant.name}${mark} | ${KB(b.bundleBytes)} | ${KB(b.zipBytes)} | ` +
        `${wall.toFixed(0)} | ${(wall / bareStats.wall).toFixed(2)} | ${cpu.toFixed(0)} | ${(cpu / bareStats.cpu).toFixed(2)} |`,
    );
  }

  console.log('\nzips from `serverless package` (the deployed settings):');
  const zips = packagedZips(names);
  for (const [fn, bytes] of Object.entries(zips)) console.log(`  ${fn}.zip: ${KB(bytes)} KB`);

  const deployedRows = rows.filter(({ b }) => b.variant.deployed);
  const verdict = (measure: 'wall' | 'cpu') => {
    const slow = deployedRows.filter((r) => r[measure] > 3 * bareStats[measure]);
    return slow.length === 0
      ? 'met'
      : `not met by ${slow.map((r) => `${r.b.fn} (${(r[measure] / bareStats[measure]).toFixed(2)}×)`).join(', ')}`;
  };
  const big = Object.entries(zips).filter(([, bytes]) => bytes >= 100 * 1024);
  console.log('\ngoals for the deployed settings:');
  console.log(`  handler ready within 3× bare node, wall time: ${verdict('wall')}`);
  console.log(`  handler ready within 3× bare node, CPU time: ${verdict('cpu')}`);
  console.log(
    `  every zip under 100 KB: ${big.length === 0 ? 'met' : `not met by ${big.map(([fn, bytes]) => `${fn} (${KB(bytes)} KB)`).join(', ')}`}`,
  );
}

/** The zip of each function as `serverless package` writes it. */
function packagedZips(names: string[]): Record<string, number> {
  const dir = join(OUT, 'package');
  rmSync(dir, { recursive: true, force: true });
  execFileSync(
    'npx',
    ['serverless', 'package', '--stage', 'bench', '--region', 'us-east-1', '--package', dir],
    {
      cwd: ROOT,
      stdio: 'pipe',
    },
  );
  return Object.fromEntries(names.map((fn) => [fn, statSync(join(dir, `${fn}.zip`)).size]));
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  mkdirSync(OUT, { recursive: true });
  await main();
}

/**
 * Starts the CLI from a bundle of its TypeScript instead of compiling it at every start (tsx took ~10x a
 * bare `node` for `fledge --version`). The bundle is built with esbuild into node_modules/.cache/fledge-cli/
 * on the first run, and again whenever a file it was built from changes (its mtime or size), so a fresh
 * clone needs no build step and an edit is picked up at the next start.
 *
 * Only fledge's own code is bundled: packages stay in node_modules and Node loads them as they are. The
 * bundle is split at each dynamic import, so a command loads only its own code (cli/fledge.ts imports
 * each command's module when that command runs). When the cache cannot be written or esbuild fails, the
 * CLI runs through tsx as before; FLEDGE_CLI_BUNDLE=0 forces that (TypeScript stack traces).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// Under node_modules, so the bundle's imports of packages resolve to the project's node_modules. Tests
// name another directory there (FLEDGE_CLI_CACHE_NAME) to start from no bundle at all.
export const CACHE = join(ROOT, 'node_modules', '.cache', process.env.FLEDGE_CLI_CACHE_NAME || 'fledge-cli');
const MANIFEST = join(CACHE, 'manifest.json');
/** Bump when the build options below change: every existing bundle is then rebuilt. */
const FORMAT = 1;
/** Bundles other than the newest are removed once this old (a long `fledge run` may still load from one). */
const PRUNE_AFTER_MS = 24 * 3_600_000;

export async function startCli() {
  if (process.env.FLEDGE_CLI_BUNDLE !== '0') {
    const entry = freshBundle() ?? (await buildBundle().catch(() => undefined));
    // Only a failed build falls back: an error thrown by the CLI itself is the CLI's to report.
    if (entry) return import(pathToFileURL(entry).href);
  }
  const { register } = await import('tsx/esm/api');
  register();
  return import('../cli/fledge.ts');
}

/** The bundle's entry file, when every source file it was built from is unchanged. */
export function freshBundle() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(MANIFEST, 'utf8'));
  } catch {
    return undefined;
  }
  if (manifest.format !== FORMAT || manifest.root !== ROOT) return undefined;
  for (const [file, [mtimeMs, size]] of Object.entries(manifest.inputs)) {
    try {
      const stat = statSync(join(ROOT, file));
      if (stat.mtimeMs !== mtimeMs || stat.size !== size) return undefined;
    } catch {
      return undefined;
    }
  }
  return join(CACHE, manifest.build, 'fledge.mjs');
}

/**
 * Builds a new bundle into its own directory and then points the manifest at it, each step a rename, so
 * processes starting at the same time (a test run) never read a half-written bundle.
 */
export async function buildBundle() {
  const { build } = await import('esbuild');
  mkdirSync(CACHE, { recursive: true });
  const id = `b-${Date.now().toString(36)}-${process.pid}`;
  const staging = join(CACHE, `.staging-${id}`);
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { fledge: 'cli/fledge.ts' },
    outdir: staging,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    metafile: true,
    logLevel: 'silent',
    plugins: [sourceRelativeUrls],
  });
  const inputs = {};
  for (const file of Object.keys(result.metafile.inputs)) {
    const stat = statSync(join(ROOT, file));
    inputs[file] = [stat.mtimeMs, stat.size];
  }
  renameSync(staging, join(CACHE, id));
  const next = `${MANIFEST}.${id}`;
  writeFileSync(next, JSON.stringify({ format: FORMAT, root: ROOT, build: id, inputs }));
  renameSync(next, MANIFEST);
  prune(id);
  return join(CACHE, id, 'fledge.mjs');
}

/**
 * `import.meta.url` keeps meaning the source file, as under tsx: the CLI finds the state machine's ASL
 * and the report page's sources next to its own files.
 */
const sourceRelativeUrls = {
  name: 'source-relative-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replaceAll(
        'import.meta.url',
        JSON.stringify(pathToFileURL(args.path).href),
      ),
      loader: 'ts',
    }));
  },
};

function prune(current) {
  for (const name of readdirSync(CACHE)) {
    if (name === current || name === 'manifest.json') continue;
    const path = join(CACHE, name);
    try {
      if (Date.now() - statSync(path).mtimeMs > PRUNE_AFTER_MS)
        rmSync(path, { recursive: true, force: true });
    } catch {
      // another process pruned it first
    }
  }
}

/**
 * How small each function's zip could get with the AWS SDK bundled: `npm run bench:zip`.
 *
 * Builds every function with the deployed esbuild settings (serverless.yml), then again with every cut
 * that keeps the SDK in the bundle but that fledge does not ship, because each changes what the SDK
 * does or hands back:
 * - no modelled error classes: the clients stop registering them, so an AWS error arrives as the
 *   client's base exception (its name and fields kept; `instanceof` and retryable traits lost);
 * - no event-stream support (no fledge call streams, but the clients could no longer);
 * - each client's package.json cut to its name and version (what the user agent reads);
 * and prints the bundle and its deflated size at zlib's fastest level (what serverless-esbuild's zips
 * use) and at its best. docs/PERFORMANCE.md reads the figures: the floor for the 100 KB goal.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { constants, deflateRawSync } from 'node:zlib';
import { type BuildOptions, build, type Plugin } from 'esbuild';
import { readServerlessConfig } from '../local/serverless-config';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { literalKeys, SCHEMA_FILE } = createRequire(import.meta.url)('../plugins/esbuild.cjs') as {
  literalKeys: (source: string) => string;
  SCHEMA_FILE: RegExp;
};

/** The schema files with their computed keys made literal (as deployed) and no error registered. */
const noErrorClasses: Plugin = {
  name: 'floor-no-error-classes',
  setup(b) {
    b.onLoad({ filter: SCHEMA_FILE }, async (args) => ({
      contents: literalKeys(await readFile(args.path, 'utf8')).replace(
        /^\w+_registry\.registerError\([^)]*\);$/gm,
        '',
      ),
      loader: 'js',
    }));
  },
};

const noEventStreams: Plugin = {
  name: 'floor-no-event-streams',
  setup(b) {
    b.onResolve({ filter: /^@smithy\/core\/event-streams$/ }, () => ({ path: 'none', namespace: 'floor' }));
    b.onLoad({ filter: /.*/, namespace: 'floor' }, () => ({
      contents:
        'export const resolveEventStreamSerdeConfig = (input) => input;' +
        'export const eventStreamSerdeProvider = () => { throw new Error("no event streams"); };' +
        'export class EventStreamSerde {}',
      loader: 'js',
    }));
  },
};

const packageVersionsOnly: Plugin = {
  name: 'floor-package-versions',
  setup(b) {
    b.onLoad({ filter: /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]package\.json$/ }, async (args) => {
      const { name, version } = JSON.parse(await readFile(args.path, 'utf8')) as Record<string, string>;
      return { contents: JSON.stringify({ name, version }), loader: 'json' };
    });
  },
};

async function sizes(entry: string, options: BuildOptions): Promise<[number, number, number]> {
  const result = await build({
    ...options,
    absWorkingDir: ROOT,
    entryPoints: [entry],
    outfile: 'out/handler.cjs',
    write: false,
    logLevel: 'error',
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  const deflated = (level: number) => deflateRawSync(code, { level }).length;
  return [code.length, deflated(constants.Z_BEST_SPEED), deflated(constants.Z_BEST_COMPRESSION)];
}

const kb = (bytes: number) => (bytes / 1024).toFixed(0);
const config = readServerlessConfig();
const cuts = [noErrorClasses, noEventStreams, packageVersionsOnly];
console.log('| function | build | bundle KB | deflate, fastest KB | deflate, best KB |');
console.log('| --- | --- | ---: | ---: | ---: |');
for (const [name, { entry }] of Object.entries(config.functions)) {
  const deployed = await sizes(entry, config.esbuild);
  // The deployed plugins after the cuts: the schema cut replaces the deployed schema plugin.
  const plugins = [...cuts, ...(config.esbuild.plugins ?? []).filter((p) => p.name !== 'fledge-sdk-schemas')];
  const floor = await sizes(entry, { ...config.esbuild, plugins });
  console.log(`| ${name} | deployed | ${deployed.map(kb).join(' | ')} |`);
  console.log(`| ${name} | every cut | ${floor.map(kb).join(' | ')} |`);
}

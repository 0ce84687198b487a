/**
 * plugins/esbuild.cjs rewrites the AWS SDK's schema files so that esbuild can drop the schemas of
 * operations a bundle never calls. The rewritten files must describe exactly the same shapes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { readServerlessConfig } from '../../local/serverless-config';

const require = createRequire(import.meta.url);
const plugins = require('../../plugins/esbuild.cjs') as Plugin[] & {
  literalKeys(source: string): string;
  staticEventStreams(source: string): string;
  SCHEMA_FILE: RegExp;
};

const ROOT = new URL('../..', import.meta.url).pathname;
const CLIENTS = ['lambda', 'route-53', 'cloudwatch', 'dynamodb', 'eventbridge', 'sfn'];
const out = mkdtempSync(join(tmpdir(), 'fledge-esbuild-plugins-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

async function bundle(name: string, contents: string, withPlugins: boolean, minify = false) {
  const outfile = join(out, `${name}-${withPlugins ? 'plugin' : 'plain'}.mjs`);
  await build({
    stdin: { contents, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    mainFields: ['module', 'main'],
    minify,
    outfile,
    plugins: withPlugins ? plugins : [],
    logLevel: 'error',
  });
  return outfile;
}

/** Structural equality of two schema graphs; thunks (`() => Shape$`) are followed once per pair. */
function sameSchema(a: unknown, b: unknown, seen = new Map<unknown, unknown>()): boolean {
  if (typeof a === 'function' && typeof b === 'function') {
    if (seen.get(a) === b) return true;
    seen.set(a, b);
    return sameSchema(a(), b(), seen);
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return Object.is(a, b);
  if (seen.get(a) === b) return true;
  seen.set(a, b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.join('\0') !== keysB.join('\0')) return false;
  return keysA.every((k) =>
    sameSchema((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], seen),
  );
}

describe('the SDK schema plugin', () => {
  it.each(CLIENTS)('leaves every schema of client-%s as it was', async (client) => {
    const entry = `export * from '@aws-sdk/client-${client}/dist-es/schemas/schemas_0.js';`;
    const plain = await import(pathToFileURL(await bundle(client, entry, false)).href);
    const rewritten = await import(pathToFileURL(await bundle(client, entry, true)).href);
    const names = Object.keys(plain);
    expect(names.length).toBeGreaterThan(50);
    expect(Object.keys(rewritten)).toEqual(names);
    const different = names.filter((n) => !sameSchema(plain[n], rewritten[n]));
    expect(different).toEqual([]);
  });

  it('matches the schema files and rewrites every computed key that names a string constant', () => {
    const file = require.resolve('@aws-sdk/client-lambda/dist-es/schemas/schemas_0.js', { paths: [ROOT] });
    expect(plugins.SCHEMA_FILE.test(file)).toBe(true);
    expect(plugins.SCHEMA_FILE.test(file.replace('schemas_0.js', '../LambdaClient.js'))).toBe(false);
    const source = `const _h = "http";\nconst _e = "error";\nconst n0 = "ns";\nexport var A$ = [9, n0, "A", { [_h]: ["GET", "/"], [_e]: _c, [n0]: 1 }];`;
    expect(plugins.literalKeys(source)).toContain('{ ["http"]: ["GET", "/"], ["error"]: _c, [n0]: 1 }');
  });

  it('lets a bundle drop the schemas of the operations it does not call', async () => {
    const entry = `import { LambdaClient, GetAliasCommand } from '@aws-sdk/client-lambda';
      export const call = () => new LambdaClient({}).send(new GetAliasCommand({ FunctionName: 'f', Name: 'live' }));`;
    const plain = readFileSync(await bundle('get-alias', entry, false, true), 'utf8');
    const rewritten = readFileSync(await bundle('get-alias', entry, true, true), 'utf8');
    expect(plain).toContain('AddLayerVersionPermissionRequest');
    expect(rewritten).not.toContain('AddLayerVersionPermissionRequest');
    expect(rewritten).toContain('GetAliasRequest');
    expect(rewritten.length).toBeLessThan(plain.length - 30_000);
  });
});

describe('the SDK event-stream plugin', () => {
  const entry = `import { AwsJson1_1Protocol } from '@aws-sdk/core/protocols';
    export const load = async () => {
      const protocol = new AwsJson1_1Protocol({ defaultNamespace: 'com.example', serviceTarget: 'Example', awsQueryCompatible: false });
      protocol.setSerdeContext({ utf8Encoder: String, utf8Decoder: String, base64Encoder: String, base64Decoder: String });
      return (await protocol.loadEventStreamCapability()).constructor.name;
    };`;

  it('loads the event-stream support as before, from a static import', async () => {
    for (const withPlugins of [false, true]) {
      const { load } = await import(pathToFileURL(await bundle('event-streams', entry, withPlugins)).href);
      expect(await load()).toBe('EventStreamSerde');
    }
    const source =
      'export class P { async f() { const { A } = await import("@smithy/core/event-streams"); return A; } }';
    expect(plugins.staticEventStreams(source)).toBe(
      'import * as fledgeEventStreams from "@smithy/core/event-streams";\nexport class P { async f() { const { A } = fledgeEventStreams; return A; } }',
    );
  });

  it('leaves no SDK module to be initialised lazily in a function bundle', async () => {
    // The deployed settings (serverless.yml), unminified so that esbuild's helpers keep their names.
    const deployed = readServerlessConfig().esbuild;
    const functionBundle = async (withPlugins: boolean) => {
      const outfile = join(out, `set-weight-${withPlugins ? 'plugin' : 'plain'}.cjs`);
      await build({
        ...deployed,
        entryPoints: [join(ROOT, 'functions/set-weight/handler.ts')],
        absWorkingDir: ROOT,
        outfile,
        minify: false,
        plugins: withPlugins ? deployed.plugins : [],
        logLevel: 'error',
      });
      return readFileSync(outfile, 'utf8');
    };
    const plain = await functionBundle(false);
    const rewritten = await functionBundle(true);
    // esbuild wraps a dynamically imported module, and everything it imports, in a lazy initialiser
    // that keeps all their exports; the SDK's one dynamic import pulled 169 modules into that.
    expect(plain).toMatch(/= __esm\(\{/);
    expect(rewritten).not.toMatch(/= __esm\(\{/);
    expect(rewritten.length).toBeLessThan(plain.length);
  });
});

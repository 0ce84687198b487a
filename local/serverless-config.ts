/**
 * Reads what serverless.yml says about the functions and their bundling, so that `npm run bench:cold`
 * builds exactly what `serverless package` builds (serverless-esbuild passes custom.esbuild to esbuild,
 * less its own keys).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions, Plugin } from 'esbuild';
import { parse } from 'yaml';

const SERVERLESS_YML = fileURLToPath(new URL('../serverless.yml', import.meta.url));

/** serverless-esbuild's own options, which it removes before calling esbuild. */
const PLUGIN_KEYS = [
  'concurrency',
  'zipConcurrency',
  'exclude',
  'nativeZip',
  'packager',
  'packagePath',
  'watch',
  'keepOutputDirectory',
  'packagerOptions',
  'installExtraArgs',
  'outputFileExtension',
  'outputBuildFolder',
  'outputWorkFolder',
  'nodeExternals',
  'skipBuild',
  'skipRebuild',
  'skipBuildExcludeFns',
  'stripEntryResolveExtensions',
  'disposeContext',
];

export interface ServerlessConfig {
  runtime: string;
  /** Function name → its TypeScript entry and Lambda handler string. */
  functions: Record<string, { entry: string; handler: string }>;
  /** The esbuild options serverless-esbuild passes (without entry points and output paths). */
  esbuild: BuildOptions;
  /** The deployed bundling choices, in the terms `npm run bench:cold` varies. */
  bundling: { sdk: 'bundled' | 'runtime'; minify: boolean; sourcemap: boolean; format: 'cjs' | 'esm' };
  /** provider.environment, with CloudFormation references replaced by placeholders. */
  environment: Record<string, string>;
}

// CloudFormation short forms, kept as plain objects, in their scalar and sequence forms.
const CFN_TAGS = ['!Ref', '!Sub', '!GetAtt', '!ImportValue', '!Join', '!Split', '!Select', '!If', '!Equals'];
const customTags = CFN_TAGS.flatMap((tag) => [
  { tag, resolve: (value: string) => ({ [tag]: value }) },
  { tag, collection: 'seq' as const, resolve: (value: { toJSON(): unknown }) => ({ [tag]: value.toJSON() }) },
]);

export function readServerlessConfig(path = SERVERLESS_YML): ServerlessConfig {
  const yml = parse(readFileSync(path, 'utf8'), { customTags, merge: true }) as {
    provider: { runtime: string; environment?: Record<string, unknown> };
    custom: { esbuild: Record<string, unknown> };
    functions: Record<string, { handler: string }>;
  };
  const raw = yml.custom.esbuild;
  const exclude = (raw.exclude as string[] | undefined) ?? [];
  const esbuild = Object.fromEntries(
    Object.entries(raw).filter(([key]) => !PLUGIN_KEYS.includes(key)),
  ) as BuildOptions;
  esbuild.external = [...(esbuild.external ?? []), ...exclude.filter((e) => e !== '*')];
  // serverless-esbuild takes `plugins` as a file, relative to the service, that exports the list.
  if (typeof raw.plugins === 'string')
    esbuild.plugins = createRequire(path)(resolve(dirname(path), raw.plugins)) as Plugin[];
  const functions = Object.fromEntries(
    Object.entries(yml.functions).map(([name, fn]) => {
      const file = fn.handler.slice(0, fn.handler.lastIndexOf('.'));
      return [name, { entry: `${file}.ts`, handler: fn.handler }];
    }),
  );
  const environment = Object.fromEntries(
    Object.entries(yml.provider.environment ?? {}).map(([key, value]) => [
      key,
      typeof value === 'string' ? value : `placeholder-${key.toLowerCase()}`,
    ]),
  );
  return {
    runtime: yml.provider.runtime,
    functions,
    esbuild,
    bundling: {
      sdk: exclude.some((e) => e.startsWith('@aws-sdk')) ? 'runtime' : 'bundled',
      minify: raw.minify === true,
      sourcemap: raw.sourcemap !== undefined && raw.sourcemap !== false,
      format: raw.format === 'esm' ? 'esm' : 'cjs',
    },
    environment,
  };
}

/**
 * esbuild plugins for the function bundles (serverless.yml `custom.esbuild.plugins`; `npm run bench:cold`
 * loads the same list through local/serverless-config.ts).
 *
 * sdkSchemas: lets esbuild drop the schemas of the SDK operations a bundle never calls.
 *
 * Each AWS SDK client describes all its operations and shapes in `dist-es/schemas/schemas_0.js` as
 * plain arrays (`export var GetAlias$ = [9, n0, _GA, { [_h]: ["GET", ...] }, () => GetAliasRequest$, ...]`).
 * Their object keys are computed from the file's string constants (`[_h]`), and esbuild cannot prove a
 * computed key free of side effects unless it is a literal, so it keeps every schema of every
 * operation: about 45 KB of the Lambda client's 71 KB in a bundle that calls six of its 80 operations.
 * This plugin writes each such key as the literal string its constant holds (`{ ["http"]: ... }`),
 * which is the same object, and nothing else; esbuild then keeps only the schemas the imported
 * commands reach (test/unit/esbuild-plugins.test.ts checks that the schemas are unchanged).
 */
'use strict';

const { readFile } = require('node:fs/promises');

const SCHEMA_FILE = /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;
const STRING_CONSTANT = /^const (_\w+) = ("(?:[^"\\\n]|\\.)*");$/gm;
const COMPUTED_KEY = /\[(_\w+)\]:/g;

/** The schema file's source with every computed key that names a string constant written as that string. */
function literalKeys(source) {
  const strings = new Map();
  for (const [, name, literal] of source.matchAll(STRING_CONSTANT)) strings.set(name, literal);
  return source.replace(COMPUTED_KEY, (key, name) => {
    const literal = strings.get(name);
    return literal === undefined ? key : `[${literal}]:`;
  });
}

const sdkSchemas = {
  name: 'fledge-sdk-schemas',
  setup(build) {
    build.onLoad({ filter: SCHEMA_FILE }, async (args) => ({
      contents: literalKeys(await readFile(args.path, 'utf8')),
      loader: 'js',
    }));
  },
};

module.exports = [sdkSchemas];
module.exports.literalKeys = literalKeys;
module.exports.SCHEMA_FILE = SCHEMA_FILE;

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
 *
 * sdkEventStreams: lets esbuild evaluate the SDK's modules once, in order, like any other.
 *
 * @smithy/core's HttpProtocol loads its event-stream support with `await import(...)`, although every
 * client imports the same module statically too. For a dynamic import esbuild wraps the module, and
 * every module it reaches (169 of @smithy/core's), in a lazy initialiser that keeps all of their
 * exports, so more code is parsed and run at cold start (about 9 ms of CPU for each function). This
 * plugin makes that one import static (`import * as ...` at the top of HttpProtocol.js); nothing else
 * changes, and fledge calls no event-stream operation anyway.
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

const HTTP_PROTOCOL_FILE =
  /[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]protocols[\\/]HttpProtocol\.js$/;
const EVENT_STREAMS_IMPORT = 'await import("@smithy/core/event-streams")';

/** HttpProtocol.js with its one dynamic import of the event-stream module made a static one. */
function staticEventStreams(source) {
  if (!source.includes(EVENT_STREAMS_IMPORT)) return source;
  return `import * as fledgeEventStreams from "@smithy/core/event-streams";\n${source.replace(EVENT_STREAMS_IMPORT, 'fledgeEventStreams')}`;
}

/** An esbuild plugin that loads the files matching `filter` through `rewrite(source)`. */
function rewriting(name, filter, rewrite) {
  return {
    name,
    setup(build) {
      build.onLoad({ filter }, async (args) => ({
        contents: rewrite(await readFile(args.path, 'utf8')),
        loader: 'js',
      }));
    },
  };
}

const sdkSchemas = rewriting('fledge-sdk-schemas', SCHEMA_FILE, literalKeys);
const sdkEventStreams = rewriting('fledge-sdk-event-streams', HTTP_PROTOCOL_FILE, staticEventStreams);

module.exports = [sdkSchemas, sdkEventStreams];
module.exports.literalKeys = literalKeys;
module.exports.staticEventStreams = staticEventStreams;
module.exports.SCHEMA_FILE = SCHEMA_FILE;

#!/usr/bin/env node
// `npx fledge` right after `npm ci`, with no build step: bin/cli-bundle.js runs a bundle of the CLI that
// it builds on the first run and again whenever a source file changes (tsx if it cannot).

// The functions' structured logs are for Lambda; on a terminal they drown the progress lines.
process.env.POWERTOOLS_LOG_LEVEL ??= process.argv.includes('--verbose') ? 'INFO' : 'SILENT';
// The AWS SDK warns on Node < 22 that its releases after January 2027 will need Node 22. fledge pins its
// SDK in package-lock.json and supports Node >= 20.19 (package.json engines), so there is nothing for a
// user to do about it, and it would be the first thing every command prints. This variable is the SDK's
// own switch for that one warning (@aws-sdk/core emitWarningIfUnsupportedVersion); a Node option such as
// --no-warnings would hide every other warning too.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { startCli } = await import('./cli-bundle.js');
await startCli();

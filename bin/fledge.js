#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx fledge` works right after `npm ci` with no build step.
import { register } from 'tsx/esm/api';

// The functions' structured logs are for Lambda; on a terminal they drown the progress lines.
process.env.POWERTOOLS_LOG_LEVEL ??= process.argv.includes('--verbose') ? 'INFO' : 'SILENT';
// The SDK warns on every Node below 22 that its 2027 releases will need 22; fledge's CLI supports
// Node >= 20.19 (package.json engines) and the deployed functions run Node 24, so the warning is noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
await import('../cli/fledge.ts');

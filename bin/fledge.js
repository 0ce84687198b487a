#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx fledge` works right after `npm ci` with no build step.
import { register } from 'tsx/esm/api';

// The functions' structured logs are for Lambda; on a terminal they drown the progress lines.
process.env.POWERTOOLS_LOG_LEVEL ??= process.argv.includes('--verbose') ? 'INFO' : 'SILENT';
register();
await import('../cli/fledge.ts');

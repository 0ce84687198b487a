// `node --import ./test/support/trace-modules.mjs …`: appends the URL of every module the process loads
// to the file named by FLEDGE_TRACE_MODULES, one a line, so a test can see what a command waited on.
import { register } from 'node:module';

register(
  `data:text/javascript,${encodeURIComponent(`
    import { appendFileSync } from 'node:fs';
    export async function load(url, context, next) {
      appendFileSync(${JSON.stringify(process.env.FLEDGE_TRACE_MODULES ?? '/dev/null')}, url + '\\n');
      return next(url, context);
    }
  `)}`,
);

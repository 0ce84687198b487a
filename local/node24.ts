/** The Node 24 binary that runs the bundles, as Lambda's nodejs24.x does (installed by scripts/node24.sh). */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../scripts/node24.sh', import.meta.url));

let path: string | undefined;

/** Installs Node 24 into .cache/ where it is missing and returns its path; throws if it cannot. */
export function node24(): string {
  path ??= execFileSync('bash', [SCRIPT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return path;
}

/** The Node major version a Lambda runtime identifier runs, e.g. 24 for nodejs24.x. */
export function runtimeNodeMajor(runtime: string): number {
  const match = /^nodejs(\d+)\.x$/.exec(runtime);
  if (!match?.[1]) throw new Error(`runtime ${runtime} is not a Node.js runtime`);
  return Number(match[1]);
}

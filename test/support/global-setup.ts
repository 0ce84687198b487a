import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { type Moto, startMoto } from '../../local/moto';

let moto: Moto | undefined;

/**
 * One moto server on a free loopback port for the whole run. The CLI's bundle is built once here, so the
 * test files' first `fledge` processes do not all build it at once.
 */
export async function setup(project: TestProject): Promise<void> {
  await promisify(execFile)(process.execPath, ['bin/fledge.js', '--version']);
  moto = await startMoto();
  project.provide('motoEndpoint', moto.endpoint);
}

export async function teardown(): Promise<void> {
  await moto?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    motoEndpoint: string;
  }
}

import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { type Moto, startMoto } from '../../local/moto';

let moto: Moto | undefined;

/** One moto server on a free loopback port for the whole run; integration tests reset it. */
export async function setup(project: TestProject): Promise<void> {
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

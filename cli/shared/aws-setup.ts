/**
 * What a command needs before its first AWS call: a region and credentials, resolved as the SDK resolves
 * them (environment, AWS_PROFILE, SSO, instance roles), so a missing one is named with what to set
 * instead of surfacing mid-run as `Region is missing`. And, for a real account, which account it is.
 */
import type { STSClient } from '@aws-sdk/client-sts';
import { configuredEndpoint, type Endpoint } from './endpoint';
import { CREDENTIALS_HINT, REGION_HINT, RefusedError } from './exit';

export interface AwsSetup {
  region: string;
  endpoint: Endpoint;
}

export interface Account {
  account: string;
  /** The caller: a user or an assumed role. */
  arn: string;
}

let sts: STSClient | undefined;

async function stsClient(): Promise<STSClient> {
  if (!sts) {
    const { STSClient } = await import('@aws-sdk/client-sts');
    sts = new STSClient({ maxAttempts: 3 });
  }
  return sts;
}

/**
 * Resolves the region and the credentials, or refuses (exit 2) saying what to set. `region` (from
 * `--region`) wins over the environment: it is set as AWS_REGION for every client the command builds.
 */
export async function checkAwsSetup(region?: string): Promise<AwsSetup> {
  if (region) process.env.AWS_REGION = region;
  const client = await stsClient();
  let resolved: string;
  try {
    resolved = await client.config.region();
  } catch {
    throw new RefusedError(REGION_HINT);
  }
  try {
    await client.config.credentials();
  } catch (error) {
    throw new RefusedError(`${CREDENTIALS_HINT} (${(error as Error).message})`);
  }
  return { region: resolved, endpoint: await configuredEndpoint() };
}

/** The account the credentials act in (STS GetCallerIdentity, which needs no permission). */
export async function callerAccount(): Promise<Account> {
  const { GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  const identity = await (await stsClient()).send(new GetCallerIdentityCommand({}));
  return { account: identity.Account ?? 'unknown', arn: identity.Arn ?? 'unknown' };
}

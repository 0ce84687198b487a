/** Lambda functions whose alias has provisioned concurrency, on moto (local/moto_server.py emulates it). */
import {
  GetProvisionedConcurrencyConfigCommand,
  LambdaClient,
  PublishVersionCommand,
  PutProvisionedConcurrencyConfigCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { createFunctionWithAlias } from '../../local/fixtures';

/** The version's (or alias's) own provisioned concurrency, or undefined when it has none. */
export async function provisionedOf(functionName: string, qualifier: string) {
  const lambda = new LambdaClient({});
  try {
    return await lambda.send(
      new GetProvisionedConcurrencyConfigCommand({ FunctionName: functionName, Qualifier: qualifier }),
    );
  } catch (error) {
    if ((error as Error).name === 'ProvisionedConcurrencyConfigNotFoundException') return undefined;
    throw error;
  } finally {
    lambda.destroy();
  }
}

/**
 * A function whose alias `live` is on version 1 with 10 provisioned concurrency, and a version 2 that
 * fails its initialisation when provisioned, if asked (moto's MOTO_PROVISIONED_CONCURRENCY=FAILED).
 */
export async function aliasWithProvisioned(name: string, options: { canaryFails?: boolean } = {}) {
  await createFunctionWithAlias(name, 'live', 1);
  const lambda = new LambdaClient({});
  // Version 2 differs from version 1 by its configuration (Lambda publishes nothing new otherwise).
  await lambda.send(
    new UpdateFunctionConfigurationCommand({
      FunctionName: name,
      Description: 'version 2',
      ...(options.canaryFails
        ? { Environment: { Variables: { MOTO_PROVISIONED_CONCURRENCY: 'FAILED' } } }
        : {}),
    }),
  );
  await lambda.send(new PublishVersionCommand({ FunctionName: name }));
  await lambda.send(
    new PutProvisionedConcurrencyConfigCommand({
      FunctionName: name,
      Qualifier: 'live',
      ProvisionedConcurrentExecutions: 10,
    }),
  );
  lambda.destroy();
}

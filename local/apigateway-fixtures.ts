/**
 * A REST API on moto with a stage `prod` on a first deployment and more deployments on no stage: the
 * setting of an `apigateway-canary` release, for the tests, the fault matrix and the load bench.
 */
import {
  APIGatewayClient,
  CreateDeploymentCommand,
  CreateRestApiCommand,
  GetResourcesCommand,
  PutIntegrationCommand,
  PutMethodCommand,
} from '@aws-sdk/client-api-gateway';

export interface RestApiOptions {
  /** The client to create it with (a fault lane's own); a fresh default client if not given. */
  client?: APIGatewayClient;
  /** How many deployments to create on no stage, after the stable one. */
  releases?: number;
  /** Stage variables of the stable deployment. */
  stableVariables?: Record<string, string>;
}

/** A REST API with one mock method, stage `prod` on a first deployment, and more deployments on no stage. */
export async function restApiWithDeployments(
  name: string,
  options: RestApiOptions = {},
): Promise<{ restApiId: string; stable: string; releases: string[] }> {
  const apigw = options.client ?? new APIGatewayClient({});
  try {
    const api = await apigw.send(new CreateRestApiCommand({ name }));
    const restApiId = api.id ?? '';
    const resources = await apigw.send(new GetResourcesCommand({ restApiId }));
    const resourceId = resources.items?.[0]?.id ?? '';
    await apigw.send(
      new PutMethodCommand({ restApiId, resourceId, httpMethod: 'GET', authorizationType: 'NONE' }),
    );
    await apigw.send(new PutIntegrationCommand({ restApiId, resourceId, httpMethod: 'GET', type: 'MOCK' }));
    const deploy = async (stageName?: string, variables?: Record<string, string>) =>
      (await apigw.send(new CreateDeploymentCommand({ restApiId, stageName, variables }))).id ?? '';
    const stable = await deploy('prod', options.stableVariables);
    const releases: string[] = [];
    for (let i = 0; i < (options.releases ?? 1); i++) releases.push(await deploy());
    return { restApiId, stable, releases };
  } finally {
    if (!options.client) apigw.destroy();
  }
}

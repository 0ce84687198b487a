/** REST API fixtures on moto for the apigateway-canary target's tests. */
import {
  APIGatewayClient,
  CreateDeploymentCommand,
  CreateRestApiCommand,
  GetResourcesCommand,
  GetStageCommand,
  PutIntegrationCommand,
  PutMethodCommand,
} from '@aws-sdk/client-api-gateway';

export interface RestApiSetting {
  restApiId: string;
  /** The deployment stage `prod` serves. */
  stable: string;
  /** A second deployment, on no stage: the one to release. */
  release: string;
}

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

/** A REST API with one mock method, stage `prod` on a first deployment, and a second deployment. */
export async function restApiWithTwoDeployments(
  name: string,
  options: RestApiOptions = {},
): Promise<RestApiSetting> {
  const { restApiId, stable, releases } = await restApiWithDeployments(name, { ...options, releases: 1 });
  return { restApiId, stable, release: releases[0] ?? '' };
}

/** Stage `prod` as GetStage reads it: its deployment and its canary, if any. */
export async function prodStage(restApiId: string) {
  const apigw = new APIGatewayClient({});
  const stage = await apigw.send(new GetStageCommand({ restApiId, stageName: 'prod' }));
  apigw.destroy();
  return { deploymentId: stage.deploymentId, canarySettings: stage.canarySettings };
}

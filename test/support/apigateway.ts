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

/** A REST API with one mock method, stage `prod` on a first deployment, and a second deployment. */
export async function restApiWithTwoDeployments(name: string): Promise<RestApiSetting> {
  const apigw = new APIGatewayClient({});
  const api = await apigw.send(new CreateRestApiCommand({ name }));
  const restApiId = api.id ?? '';
  const resources = await apigw.send(new GetResourcesCommand({ restApiId }));
  const resourceId = resources.items?.[0]?.id ?? '';
  await apigw.send(
    new PutMethodCommand({ restApiId, resourceId, httpMethod: 'GET', authorizationType: 'NONE' }),
  );
  await apigw.send(new PutIntegrationCommand({ restApiId, resourceId, httpMethod: 'GET', type: 'MOCK' }));
  const stable = await apigw.send(new CreateDeploymentCommand({ restApiId, stageName: 'prod' }));
  const next = await apigw.send(new CreateDeploymentCommand({ restApiId }));
  apigw.destroy();
  return { restApiId, stable: stable.id ?? '', release: next.id ?? '' };
}

/** Stage `prod` as GetStage reads it: its deployment and its canary, if any. */
export async function prodStage(restApiId: string) {
  const apigw = new APIGatewayClient({});
  const stage = await apigw.send(new GetStageCommand({ restApiId, stageName: 'prod' }));
  apigw.destroy();
  return { deploymentId: stage.deploymentId, canarySettings: stage.canarySettings };
}

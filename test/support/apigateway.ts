/** REST API fixtures on moto for the apigateway-canary target's tests. */
import { APIGatewayClient, GetStageCommand } from '@aws-sdk/client-api-gateway';
import { type RestApiOptions, restApiWithDeployments } from '../../local/apigateway-fixtures';

export { type RestApiOptions, restApiWithDeployments };

export interface RestApiSetting {
  restApiId: string;
  /** The deployment stage `prod` serves. */
  stable: string;
  /** A second deployment, on no stage: the one to release. */
  release: string;
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

/**
 * API Gateway stage-canary releases through `fledge run` against moto (local/moto_server.py emulates the
 * stage canary as API Gateway documents it): the stage ends on the new deployment with no canary, or back
 * on the old one with no canary.
 */
import { APIGatewayClient, CreateDeploymentCommand } from '@aws-sdk/client-api-gateway';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { useEndpoint } from '../../local/moto';
import { prodStage, restApiWithTwoDeployments } from '../support/apigateway';
import { publishSideMinutes } from '../support/aws';
import { fledgeRun } from '../support/cli';

const START = new Date('2026-11-06T09:00:00.000Z');
const apis: Record<string, { restApiId: string; stable: string; release: string }> = {};

const metric = (app: string, metricName: string) => ({
  namespace: 'MyApi',
  metricName,
  stable: { App: app, Side: 'stable' },
  canary: { App: app, Side: 'canary' },
});

const release = (app: string) => ({
  target: {
    type: 'apigateway-canary',
    restApiId: apis[app]?.restApiId,
    stageName: 'prod',
    deploymentId: apis[app]?.release,
  },
  strategy: {
    steps: [
      { weight: 10, bakeMinutes: 2 },
      { weight: 50, bakeMinutes: 2 },
    ],
  },
  analysis: { requests: metric(app, 'Requests'), errors: metric(app, 'Errors') },
});

const stageOf = (app: string) => prodStage(apis[app]?.restApiId ?? '');

describe('API Gateway stage-canary releases against moto', () => {
  beforeAll(async () => {
    useEndpoint(inject('motoEndpoint'));
    for (const app of ['api-good', 'api-bad']) apis[app] = await restApiWithTwoDeployments(app);
    await publishSideMinutes('MyApi', 'api-good', START, 30, {
      stable: { requests: 900, errors: 4 },
      canary: { requests: 100, errors: 0 },
    });
    await publishSideMinutes('MyApi', 'api-bad', START, 30, {
      stable: { requests: 900, errors: 4 },
      canary: { requests: 100, errors: 6 },
    });
  });

  it('promotes a healthy deployment: the stage serves it and has no canary left', async () => {
    const { code, report } = await fledgeRun(release('api-good'), START, ['--json']);

    expect(code).toBe(0);
    expect(report).toMatchObject({ outcome: 'promoted', weight: 100 });
    expect(await stageOf('api-good')).toEqual({
      deploymentId: apis['api-good']?.release,
      canarySettings: undefined,
    });
  });

  it('returns all traffic to the old deployment when the new one fails, and removes the canary', async () => {
    const { code, report } = await fledgeRun(release('api-bad'), START, ['--json']);

    expect(code).toBe(1);
    expect(report).toMatchObject({ outcome: 'rolled-back', weight: 0 });
    expect(await stageOf('api-bad')).toEqual({
      deploymentId: apis['api-bad']?.stable,
      canarySettings: undefined,
    });
  });

  it('refuses a release judged on a series CloudWatch does not list, naming the field, and leaves the stage', async () => {
    const app = 'api-unlisted';
    apis[app] = await restApiWithTwoDeployments(app);
    const input = release(app);
    const listedStable = { ...metric('api-good', 'Requests'), canary: { App: app, Side: 'canary' } };
    const before = await stageOf(app);

    const { code, stdout } = await fledgeRun(
      { ...input, analysis: { ...input.analysis, requests: listedStable } },
      START,
      ['--json'],
    );

    expect(code).toBe(2);
    expect(stdout).toContain(
      `analysis.requests.canary: CloudWatch lists no MyApi Requests with exactly {App=${app}, Side=canary}`,
    );
    expect(stdout).not.toContain('analysis.requests.stable');
    expect(await stageOf(app)).toEqual(before);
  });

  it('refuses a release while the stage has a canary fledge did not attach, and leaves it', async () => {
    const app = 'api-foreign';
    apis[app] = await restApiWithTwoDeployments(app);
    const apigw = new APIGatewayClient({});
    await apigw.send(
      new CreateDeploymentCommand({
        restApiId: apis[app]?.restApiId ?? '',
        stageName: 'prod',
        canarySettings: { percentTraffic: 5 },
      }),
    );
    apigw.destroy();
    const before = await stageOf(app);

    const { code } = await fledgeRun(release(app), START, ['--json']);

    expect(code).toBe(2);
    expect(await stageOf(app)).toEqual(before);
  });
});

/**
 * The API Gateway stage-canary router against a mocked SDK whose stage follows the patch operations it is
 * sent (as the PatchOperation reference describes them): conflicts, read-back, promotion and rollback
 * paths, throttling.
 */
import {
  APIGatewayClient,
  GetDeploymentCommand,
  GetStageCommand,
  NotFoundException,
  type PatchOperation,
  TooManyRequestsException,
  UpdateStageCommand,
} from '@aws-sdk/client-api-gateway';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { TrafficContext } from '../../shared/core/ports';
import { ApiGatewayCanaryRouter } from '../../shared/targets/apigateway-canary/router';

const apigw = mockClient(APIGatewayClient);
const target = {
  type: 'apigateway-canary' as const,
  restApiId: 'a1b2c3d4e5',
  stageName: 'prod',
  deploymentId: 'dep2',
};
const router = () => new ApiGatewayCanaryRouter(target, new APIGatewayClient({ region: 'us-east-1' }));
const context = (weight: number): TrafficContext => ({ baseline: 'dep1', canary: 'dep2', weight });

interface FakeStage {
  deploymentId: string;
  variables?: Record<string, string>;
  canarySettings?: {
    deploymentId?: string;
    percentTraffic?: number;
    stageVariableOverrides?: Record<string, string>;
  };
}

/** A stage that applies UpdateStage's patch operations in order; returns the operations sent. */
function liveStage(initial: FakeStage): { stage: () => FakeStage; sent: PatchOperation[][] } {
  let state: FakeStage = structuredClone(initial);
  const sent: PatchOperation[][] = [];
  apigw.on(GetStageCommand).callsFake(async () => structuredClone(state));
  apigw.on(UpdateStageCommand).callsFake(async (input: { patchOperations: PatchOperation[] }) => {
    sent.push(input.patchOperations);
    const next = structuredClone(state);
    for (const op of input.patchOperations) {
      if (op.op === 'replace' && op.path === '/canarySettings/deploymentId') {
        next.canarySettings = { ...next.canarySettings, deploymentId: op.value };
      } else if (op.op === 'replace' && op.path === '/canarySettings/percentTraffic') {
        next.canarySettings = {
          deploymentId: next.deploymentId,
          ...next.canarySettings,
          percentTraffic: Number(op.value),
        };
      } else if (op.op === 'copy' && op.from === '/canarySettings/deploymentId') {
        next.deploymentId = next.canarySettings?.deploymentId ?? next.deploymentId;
      } else if (op.op === 'copy' && op.from === '/canarySettings/stageVariableOverrides') {
        next.variables = { ...next.variables, ...next.canarySettings?.stageVariableOverrides };
      } else if (op.op === 'remove' && op.path === '/canarySettings') {
        delete next.canarySettings;
      } else if (op.op === 'replace' && op.path === '/deploymentId') {
        next.deploymentId = op.value ?? '';
      } else {
        throw new Error(`unexpected patch operation ${JSON.stringify(op)}`);
      }
    }
    state = next;
    return structuredClone(state);
  });
  return { stage: () => state, sent };
}

beforeEach(() => {
  apigw.reset();
  apigw.on(GetDeploymentCommand).resolves({ id: 'dep2' });
});

describe('prepare', () => {
  it('reads the stage deployment as the baseline and writes nothing', async () => {
    // Prepare
    const { sent } = liveStage({ deploymentId: 'dep1' });
    // Act
    const result = await router().prepare();
    // Assess
    expect(result).toEqual({ baseline: 'dep1', canary: 'dep2', weight: 0 });
    expect(sent).toEqual([]);
  });

  it('refuses a stage that does not exist, naming target.stageName', async () => {
    apigw.on(GetStageCommand).rejects(new NotFoundException({ message: 'Invalid stage', $metadata: {} }));
    await expect(router().prepare()).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringContaining("target.stageName 'prod'"),
    });
  });

  it('refuses a deployment the API does not have, naming target.deploymentId', async () => {
    liveStage({ deploymentId: 'dep1' });
    apigw.on(GetDeploymentCommand).rejects(new NotFoundException({ message: 'nope', $metadata: {} }));
    await expect(router().prepare()).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringContaining("target.deploymentId 'dep2'"),
    });
  });

  it('refuses a release of the deployment the stage already serves', async () => {
    liveStage({ deploymentId: 'dep2' });
    await expect(router().prepare()).rejects.toThrow(/already the deployment of stage prod/);
  });

  it('refuses a stage that already has a canary, even at 0%', async () => {
    liveStage({ deploymentId: 'dep1', canarySettings: { deploymentId: 'dep9', percentTraffic: 0 } });
    await expect(router().prepare()).rejects.toThrow(/already has a canary .*deployment dep9/);
  });
});

describe('setWeight', () => {
  it('attaches the canary with its deployment and share on the reference paths', async () => {
    const { sent, stage } = liveStage({ deploymentId: 'dep1' });
    const applied = await router().setWeight(10, context(0));
    expect(sent).toEqual([
      [
        { op: 'replace', path: '/canarySettings/deploymentId', value: 'dep2' },
        { op: 'replace', path: '/canarySettings/percentTraffic', value: '10' },
      ],
    ]);
    expect(stage().canarySettings).toEqual({ deploymentId: 'dep2', percentTraffic: 10 });
    expect(applied.weight).toBe(10);
  });

  it('shifts an attached canary with percentTraffic alone', async () => {
    const { sent } = liveStage({
      deploymentId: 'dep1',
      canarySettings: { deploymentId: 'dep2', percentTraffic: 10 },
    });
    const applied = await router().setWeight(12.5, context(10));
    expect(sent).toEqual([[{ op: 'replace', path: '/canarySettings/percentTraffic', value: '12.5' }]]);
    expect(applied.weight).toBe(12.5);
  });

  it('finds its own write on a retry and writes nothing', async () => {
    const { sent } = liveStage({
      deploymentId: 'dep1',
      canarySettings: { deploymentId: 'dep2', percentTraffic: 25 },
    });
    const applied = await router().setWeight(25, context(10));
    expect(sent).toEqual([]);
    expect(applied).toMatchObject({ weight: 25, detail: 'already applied' });
  });

  it('stops without writing when someone else put another deployment on the canary', async () => {
    const { sent } = liveStage({
      deploymentId: 'dep1',
      canarySettings: { deploymentId: 'dep9', percentTraffic: 10 },
    });
    await expect(router().setWeight(25, context(10))).rejects.toMatchObject({ name: 'TrafficConflictError' });
    expect(sent).toEqual([]);
  });

  it("stops without writing when the stage's own deployment moved", async () => {
    const { sent } = liveStage({
      deploymentId: 'dep3',
      canarySettings: { deploymentId: 'dep2', percentTraffic: 10 },
    });
    await expect(router().setWeight(25, context(10))).rejects.toThrow(/changed by someone else.*dep3/);
    expect(sent).toEqual([]);
  });

  it('stops without writing when someone changed the share', async () => {
    const { sent } = liveStage({
      deploymentId: 'dep1',
      canarySettings: { deploymentId: 'dep2', percentTraffic: 50 },
    });
    await expect(router().setWeight(25, context(10))).rejects.toMatchObject({ name: 'TrafficConflictError' });
    expect(sent).toEqual([]);
  });

  it('never reports a share the read-back does not show', async () => {
    apigw.on(GetStageCommand).resolves({ deploymentId: 'dep1' });
    apigw.on(UpdateStageCommand).resolves({});
    await expect(router().setWeight(10, context(0))).rejects.toMatchObject({
      name: 'WeightVerificationError',
      message: expect.stringContaining('reads back 100% to deployment dep1, no canary'),
    });
  });

  it('turns throttling into a TransientAwsError the state machine retries', async () => {
    liveStage({ deploymentId: 'dep1' });
    apigw
      .on(UpdateStageCommand)
      .rejects(new TooManyRequestsException({ message: 'Too Many Requests', $metadata: {} }));
    await expect(router().setWeight(10, context(0))).rejects.toMatchObject({ name: 'TransientAwsError' });
  });
});

describe('promote', () => {
  it("copies the canary's deployment and overrides onto the stage, then removes the canary", async () => {
    const { sent, stage } = liveStage({
      deploymentId: 'dep1',
      variables: { a: '1', b: '2' },
      canarySettings: { deploymentId: 'dep2', percentTraffic: 100, stageVariableOverrides: { b: '3' } },
    });
    const applied = await router().promote(context(100));
    expect(sent).toEqual([
      [
        { op: 'copy', from: '/canarySettings/deploymentId', path: '/deploymentId' },
        { op: 'copy', from: '/canarySettings/stageVariableOverrides', path: '/variables' },
      ],
      [{ op: 'remove', path: '/canarySettings' }],
    ]);
    expect(stage()).toEqual({ deploymentId: 'dep2', variables: { a: '1', b: '3' } });
    expect(applied.weight).toBe(100);
  });

  it('finishes a promotion whose removal did not happen', async () => {
    const { sent, stage } = liveStage({
      deploymentId: 'dep2',
      canarySettings: { deploymentId: 'dep2', percentTraffic: 100 },
    });
    await router().promote(context(100));
    expect(sent).toEqual([[{ op: 'remove', path: '/canarySettings' }]]);
    expect(stage()).toEqual({ deploymentId: 'dep2' });
  });

  it('refuses a stage someone else changed', async () => {
    const { sent } = liveStage({
      deploymentId: 'dep1',
      canarySettings: { deploymentId: 'dep9', percentTraffic: 100 },
    });
    await expect(router().promote(context(100))).rejects.toMatchObject({ name: 'TrafficConflictError' });
    expect(sent).toEqual([]);
  });
});

describe('rollback', () => {
  it('puts the share to 0 before removing the canary', async () => {
    const { sent, stage } = liveStage({
      deploymentId: 'dep1',
      canarySettings: { deploymentId: 'dep2', percentTraffic: 30 },
    });
    const applied = await router().rollback(context(30));
    expect(sent).toEqual([
      [{ op: 'replace', path: '/canarySettings/percentTraffic', value: '0' }],
      [{ op: 'remove', path: '/canarySettings' }],
    ]);
    expect(stage()).toEqual({ deploymentId: 'dep1' });
    expect(applied.weight).toBe(0);
  });

  it('puts the baseline deployment back after a promotion', async () => {
    const { stage } = liveStage({ deploymentId: 'dep2' });
    await router().rollback(context(100));
    expect(stage()).toEqual({ deploymentId: 'dep1' });
  });

  it('leaves a canary fledge did not write as it is', async () => {
    const { sent } = liveStage({
      deploymentId: 'dep1',
      canarySettings: { deploymentId: 'dep9', percentTraffic: 30 },
    });
    await expect(router().rollback(context(30))).rejects.toMatchObject({ name: 'TrafficConflictError' });
    expect(sent).toEqual([]);
  });

  it('writes nothing when the stage is already on the baseline', async () => {
    const { sent } = liveStage({ deploymentId: 'dep1' });
    expect((await router().rollback(context(30))).detail).toBe('already on the baseline');
    expect(sent).toEqual([]);
  });
});

describe('inspect', () => {
  it("gives the rollback context of the target's own canary", async () => {
    liveStage({ deploymentId: 'dep1', canarySettings: { deploymentId: 'dep2', percentTraffic: 5 } });
    expect(await router().inspect()).toMatchObject({
      split: true,
      context: { baseline: 'dep1', canary: 'dep2', weight: 5 },
    });
  });

  it('says why a canary of another deployment is not clear-cut', async () => {
    liveStage({ deploymentId: 'dep1', canarySettings: { deploymentId: 'dep9', percentTraffic: 5 } });
    const live = await router().inspect();
    expect(live.context).toBeUndefined();
    expect(live.ambiguity).toMatch(/dep9/);
  });
});

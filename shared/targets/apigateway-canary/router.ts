import {
  type APIGatewayClient,
  GetDeploymentCommand,
  GetStageCommand,
  type PatchOperation,
  UpdateStageCommand,
} from '@aws-sdk/client-api-gateway';
import { apiGatewayClient } from '../../aws/clients';
import { awsCall, InvalidInputError, TrafficConflictError, WeightVerificationError } from '../../core/errors';
import type { Applied, LiveSplit, TrafficContext, TrafficRouter } from '../../core/ports';
import { roundWeight as round } from '../../core/strategy';
import type { ApiGatewayCanaryTarget } from './schema';

const EPSILON = 1e-9;

/** What of a stage a rollout moves: its own deployment and the canary beside it. */
interface StageSplit {
  deploymentId: string;
  canary?: { deploymentId: string; percent: number; overrides: Record<string, string> } | undefined;
}

/**
 * Weighted routing on a REST API stage through its canary (`canarySettings`), written with UpdateStage
 * patch operations on the PatchOperation reference's paths.
 *
 * UpdateStage has no revision check, so before every write fledge reads the stage and compares it with
 * what it last wrote: a canary fledge did not attach, or a stage deployment that moved, is a conflict
 * (TrafficConflictError) and nothing is written. Every write is read back; a weight is reported only as
 * the read-back shows it.
 */
export class ApiGatewayCanaryRouter implements TrafficRouter {
  constructor(
    private readonly target: ApiGatewayCanaryTarget,
    private readonly client: APIGatewayClient = apiGatewayClient(),
  ) {}

  async prepare(check?: (context: TrafficContext) => void): Promise<TrafficContext> {
    const { restApiId, stageName, deploymentId } = this.target;
    const current = await this.read().catch(
      notFound(
        `target.stageName '${stageName}' is not a stage of REST API '${restApiId}' in this account and region ` +
          '(or target.restApiId is not a REST API there)',
      ),
    );
    await this.call('GetDeployment', () =>
      this.client.send(new GetDeploymentCommand({ restApiId, deploymentId })),
    ).catch(notFound(`target.deploymentId '${deploymentId}' is not a deployment of REST API '${restApiId}'`));
    if (current.deploymentId === deploymentId) {
      throw new InvalidInputError(
        `target.deploymentId '${deploymentId}' is already the deployment of stage ${stageName}; nothing to release`,
      );
    }
    if (current.canary) {
      throw new InvalidInputError(
        `stage ${stageName} already has a canary (${describe(current)}); promote or remove it ` +
          '(UpdateStage remove /canarySettings) before starting another release',
      );
    }
    const context: TrafficContext = { baseline: current.deploymentId, canary: deploymentId, weight: 0 };
    check?.(context);
    return context;
  }

  async setWeight(weight: number, context: TrafficContext): Promise<Applied> {
    const desired = splitAt(weight, context);
    const current = await this.read();
    if (sameSplit(current, desired)) return this.applied(current, context, 'already applied');
    this.assertUnchanged(current, context);
    const operations: PatchOperation[] = current.canary
      ? [percentOp(weight)]
      : [{ op: 'replace', path: '/canarySettings/deploymentId', value: context.canary }, percentOp(weight)];
    return this.write(operations, desired, context);
  }

  async promote(context: TrafficContext): Promise<Applied> {
    const promoted: StageSplit = { deploymentId: context.canary };
    let current = await this.read();
    if (sameSplit(current, promoted)) return this.applied(current, context, 'already promoted');
    if (current.deploymentId !== context.canary) {
      this.assertUnchanged(current, context);
      // All traffic on the canary's deployment first: the stage's own deployment becomes the canary's, and
      // the canary's stage-variable overrides the stage's variables.
      const copy: PatchOperation[] = [
        current.canary
          ? { op: 'copy', from: '/canarySettings/deploymentId', path: '/deploymentId' }
          : { op: 'replace', path: '/deploymentId', value: context.canary },
        ...(Object.keys(current.canary?.overrides ?? {}).length > 0
          ? [{ op: 'copy', from: '/canarySettings/stageVariableOverrides', path: '/variables' } as const]
          : []),
      ];
      await this.write(copy, { deploymentId: context.canary, canary: current.canary }, context);
      current = await this.read();
      if (!current.canary)
        return this.applied(current, context, `stage ${this.target.stageName}: ${describe(current)}`);
    } else if (current.canary && current.canary.deploymentId !== context.canary) {
      throw this.conflict(current, `stage ${this.target.stageName} on deployment ${context.canary}`);
    }
    return this.write([{ op: 'remove', path: '/canarySettings' }], promoted, context);
  }

  async rollback(context: TrafficContext): Promise<Applied> {
    const desired: StageSplit = { deploymentId: context.baseline };
    const current = await this.read();
    if (sameSplit(current, desired)) return this.applied(current, context, 'already on the baseline');
    const canaryOurs = !current.canary || current.canary.deploymentId === context.canary;
    const ours =
      canaryOurs && (current.deploymentId === context.baseline || current.deploymentId === context.canary);
    if (!ours) {
      throw new TrafficConflictError(
        `stage ${this.target.stageName} now routes ${describe(current)}, which fledge did not write; ` +
          'it was left as it is. Check who changed it before acting.',
      );
    }
    if (current.deploymentId === context.canary) {
      // Promoted already: the stage's own deployment goes back, with no canary beside it.
      const ops: PatchOperation[] = [
        ...(current.canary ? [{ op: 'remove', path: '/canarySettings' } as const] : []),
        { op: 'replace', path: '/deploymentId', value: context.baseline },
      ];
      return this.write(ops, desired, context);
    }
    // Traffic back on the baseline before the canary goes, so no request lands on a half-removed canary.
    if (current.canary && current.canary.percent > 0) {
      await this.write([percentOp(0)], splitAt(0, context, current.canary.overrides), context);
    }
    return this.write([{ op: 'remove', path: '/canarySettings' }], desired, context);
  }

  async inspect(): Promise<LiveSplit> {
    const current = await this.read();
    const summary = `stage ${this.target.stageName}: ${describe(current)}`;
    if (!current.canary) return { summary, split: false };
    if (
      current.canary.deploymentId !== this.target.deploymentId ||
      current.deploymentId === this.target.deploymentId
    ) {
      return {
        summary,
        split: current.canary.percent > 0,
        ambiguity: `the stage's canary is deployment ${current.canary.deploymentId} beside deployment ${current.deploymentId}, not deployment ${this.target.deploymentId} beside another`,
      };
    }
    return {
      summary,
      split: true,
      context: {
        baseline: current.deploymentId,
        canary: current.canary.deploymentId,
        weight: round(current.canary.percent),
      },
    };
  }

  private async write(
    operations: PatchOperation[],
    desired: StageSplit,
    context: TrafficContext,
  ): Promise<Applied> {
    const { restApiId, stageName } = this.target;
    await this.call('UpdateStage', () =>
      this.client.send(new UpdateStageCommand({ restApiId, stageName, patchOperations: operations })),
    );
    const after = await this.read();
    if (!sameSplit(after, desired)) {
      throw new WeightVerificationError(
        `stage ${stageName} should route ${describe(desired)} but reads back ${describe(after)}`,
      );
    }
    return this.applied(after, context, `stage ${stageName}: ${describe(after)}`);
  }

  /** The stage must be as this rollout last left it: its baseline, and no canary but this rollout's. */
  private assertUnchanged(current: StageSplit, context: TrafficContext): void {
    const expected = splitAt(context.weight, context, current.canary?.overrides);
    if (!sameSplit(current, expected)) {
      throw this.conflict(current, describe(expected));
    }
  }

  private conflict(current: StageSplit, expected: string): TrafficConflictError {
    return new TrafficConflictError(
      `stage ${this.target.stageName} was changed by someone else during the rollout: expected ${expected}, ` +
        `found ${describe(current)}. fledge stopped without writing.`,
    );
  }

  /** The weight as read back, at the precision the rollout state records. */
  private applied(split: StageSplit, context: TrafficContext, detail: string): Applied {
    return { weight: weightOf(split, context), detail };
  }

  private async read(): Promise<StageSplit> {
    const { restApiId, stageName } = this.target;
    const stage = await this.call('GetStage', () =>
      this.client.send(new GetStageCommand({ restApiId, stageName })),
    );
    const canary = stage.canarySettings;
    return {
      deploymentId: stage.deploymentId ?? '',
      canary: canary
        ? {
            // A canary attached without a deploymentId serves the stage's own deployment.
            deploymentId: canary.deploymentId ?? stage.deploymentId ?? '',
            percent: canary.percentTraffic ?? 0,
            overrides: canary.stageVariableOverrides ?? {},
          }
        : undefined,
    };
  }

  private call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    return awsCall(`apigateway:${action} on ${this.target.restApiId}/${this.target.stageName}`, fn);
  }
}

/** percentTraffic is a double; the patch value is its string. */
function percentOp(weight: number): PatchOperation {
  return { op: 'replace', path: '/canarySettings/percentTraffic', value: String(round(weight)) };
}

/**
 * The stage at `weight` percent to the canary. No canary and a canary at 0% route the same, so both read as
 * 0% (sameSplit).
 */
function splitAt(
  weight: number,
  context: TrafficContext,
  overrides: Record<string, string> = {},
): StageSplit {
  return {
    deploymentId: context.baseline,
    canary: { deploymentId: context.canary, percent: weight, overrides },
  };
}

function weightOf(split: StageSplit, context: TrafficContext): number {
  if (split.deploymentId === context.canary) return 100;
  return split.canary?.deploymentId === context.canary ? round(split.canary.percent) : 0;
}

/**
 * The stage routes as `desired` says. A canary at 0% routes as no canary, so it matches a desired 0%; a
 * desired stage without a canary (promoted, rolled back) matches only a stage without one.
 */
function sameSplit(current: StageSplit, desired: StageSplit): boolean {
  if (current.deploymentId !== desired.deploymentId) return false;
  const [now, want] = [current.canary, desired.canary];
  if (!want) return !now;
  if (want.percent <= EPSILON && !now) return true;
  return (
    now !== undefined &&
    now.deploymentId === want.deploymentId &&
    Math.abs(now.percent - want.percent) < EPSILON
  );
}

function describe(split: StageSplit): string {
  const { canary } = split;
  if (!canary) return `100% to deployment ${split.deploymentId}, no canary`;
  const overrides = Object.keys(canary.overrides).length;
  return (
    `${round(100 - canary.percent)}% to deployment ${split.deploymentId}, ` +
    `${round(canary.percent)}% to canary deployment ${canary.deploymentId}` +
    (overrides > 0 ? ` (${overrides} stage-variable override${overrides === 1 ? '' : 's'})` : '')
  );
}

function notFound(message: string): (error: unknown) => never {
  return (error) => {
    if ((error as Error).name === 'NotFoundException') throw new InvalidInputError(message, { cause: error });
    throw error;
  };
}

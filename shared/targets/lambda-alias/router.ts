import {
  type AliasConfiguration,
  DeleteProvisionedConcurrencyConfigCommand,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  GetProvisionedConcurrencyConfigCommand,
  type GetProvisionedConcurrencyConfigCommandOutput,
  type LambdaClient,
  PutProvisionedConcurrencyConfigCommand,
  paginateListVersionsByFunction,
  UpdateAliasCommand,
} from '@aws-sdk/client-lambda';
import { lambdaClient } from '../../aws/clients';
import { awsCall, InvalidInputError, TrafficConflictError, WeightVerificationError } from '../../core/errors';
import type { Applied, LiveSplit, TrafficContext, TrafficRouter } from '../../core/ports';
import type { Provisioned, ProvisionedRead, ProvisionedStatus } from '../../core/provisioned';
import type { LambdaAliasTarget } from '../../core/schema';
import { roundWeight as round } from '../../core/strategy';

const EPSILON = 1e-9;

/** Shape of an alias that matters to a rollout: the main version and the weighted extra one. */
interface Split {
  version: string;
  weights: Record<string, number>;
  revision?: string | undefined;
}

/**
 * Weighted routing on a Lambda alias through `RoutingConfig.AdditionalVersionWeights`.
 *
 * Every write sends the RevisionId fledge last saw, and before writing fledge re-reads the alias and
 * compares its whole split with what it last wrote, so a change by anyone else stops the rollout
 * (TrafficConflictError) instead of being overwritten. Every write is read back and verified.
 */
export class LambdaAliasRouter implements TrafficRouter {
  constructor(
    private readonly target: LambdaAliasTarget,
    private readonly client: LambdaClient = lambdaClient(),
  ) {}

  async prepare(check?: (context: TrafficContext) => void): Promise<TrafficContext> {
    const { functionName, alias, version } = this.target;
    await this.call('GetFunctionConfiguration', () =>
      this.client.send(new GetFunctionConfigurationCommand({ FunctionName: functionName })),
    ).catch(
      notFound(`target.functionName '${functionName}' is not a Lambda function in this account and region`),
    );
    const timeouts = await this.publishedVersions();
    const published = [...timeouts.keys()];
    if (!timeouts.has(version)) {
      throw new InvalidInputError(
        `target.version '${version}' is not a published version of ${functionName} (published: ${ranges(published)})`,
      );
    }
    const current = await this.read().catch(
      notFound(
        `target.alias '${alias}' does not exist on ${functionName}; create it on the stable version first`,
      ),
    );
    if (!/^\d+$/.test(current.version)) {
      throw new InvalidInputError(
        `alias ${alias} points at ${current.version}; the baseline must be a published version`,
      );
    }
    if (current.version === version) {
      throw new InvalidInputError(
        `target.version '${version}' is already the version of alias ${alias}; nothing to release`,
      );
    }
    const routed = Object.entries(current.weights).filter(([, w]) => w > 0);
    if (routed.length > 0) {
      const list = routed.map(([v, w]) => `${round(w * 100)}% to version ${v}`).join(', ');
      throw new InvalidInputError(
        `alias ${alias} already routes ${list}; finish or roll back that release before starting another`,
      );
    }
    const longest = Math.max(timeouts.get(current.version) ?? 0, timeouts.get(version) ?? 0);
    const provisioned = await this.provisionedOfBothSides();
    const context: TrafficContext = {
      baseline: current.version,
      canary: version,
      weight: 0,
      revision: current.revision,
      ...(longest > 0 ? { requestSeconds: longest } : {}),
      ...(provisioned.stable > 0 || provisioned.canary > 0 ? { provisioned } : {}),
    };
    check?.(context);
    return context;
  }

  setWeight(weight: number, context: TrafficContext): Promise<Applied> {
    return this.moveFromLastWrite(splitAt(weight, context), context, 'already applied');
  }

  promote(context: TrafficContext): Promise<Applied> {
    return this.moveFromLastWrite({ version: context.canary, weights: {} }, context, 'already promoted');
  }

  async rollback(context: TrafficContext): Promise<Applied> {
    const desired: Split = { version: context.baseline, weights: {} };
    const current = await this.read();
    if (sameSplit(current, desired)) return this.applied(current, context, 'already on the baseline');
    // Any split this rollout could have written may be rolled back; anything else belongs to someone else.
    const ours =
      (current.version === context.baseline &&
        Object.keys(current.weights).every((v) => v === context.canary)) ||
      (current.version === context.canary && Object.keys(current.weights).length === 0);
    if (!ours) {
      throw new TrafficConflictError(
        `alias ${this.target.alias} now routes ${describe(current)}, which fledge did not write; ` +
          'it was left as it is. Check who changed it before acting.',
      );
    }
    return this.write(desired, current.revision, context);
  }

  async inspect(): Promise<LiveSplit> {
    const current = await this.read();
    const summary = `alias ${this.target.alias}: ${describe(current)}`;
    const extra = Object.entries(current.weights);
    if (extra.length === 0) return { summary, split: false };
    const [version, weight] = extra[0] ?? ['', 0];
    if (extra.length > 1 || version !== this.target.version || current.version === this.target.version) {
      return {
        summary,
        split: true,
        ambiguity: `the alias routes to version(s) ${extra.map(([v]) => v).join(', ')}, not only to version ${this.target.version} beside its main version`,
      };
    }
    return {
      summary,
      split: true,
      context: {
        baseline: current.version,
        canary: version,
        weight: round(weight * 100),
        revision: current.revision,
      },
    };
  }

  /**
   * Provisioned concurrency on the canary version: asked for unless the version already has this rollout's
   * configuration (a retried step), then its status as Lambda reports it. A version that has another
   * configuration (someone set it after Plan) is not overwritten: that reads as FAILED, with why.
   */
  async provision(plan: Provisioned): Promise<ProvisionedRead> {
    const found = await this.provisionedConfig(plan.version);
    if (found) {
      const requested = found.RequestedProvisionedConcurrentExecutions;
      if (requested !== plan.count) {
        return {
          status: 'FAILED',
          reason: `version ${plan.version} has ${requested} provisioned concurrency that fledge did not set (it asked for ${plan.count}); fledge leaves it as it is`,
        };
      }
      return statusOf(found);
    }
    try {
      const put = await this.call('PutProvisionedConcurrencyConfig', () =>
        this.client.send(
          new PutProvisionedConcurrencyConfigCommand({
            FunctionName: this.target.functionName,
            Qualifier: plan.version,
            ProvisionedConcurrentExecutions: plan.count,
          }),
        ),
      );
      return statusOf(put);
    } catch (error) {
      // Lambda refuses for good what it cannot give (more than the account's unreserved concurrency, say):
      // the rollout rolls back with Lambda's words before any traffic moves. Throttling is retried.
      if ((error as Error).name === 'TransientAwsError') throw error;
      return {
        status: 'FAILED',
        reason: `Lambda refused ${plan.count} provisioned concurrency on version ${plan.version}: ${(error as Error).name}: ${(error as Error).message}`,
      };
    }
  }

  async unprovision(plan: Provisioned): Promise<{ removed: boolean; detail: string }> {
    const where = `version ${plan.version} of ${this.target.functionName}`;
    const found = await this.provisionedConfig(plan.version);
    if (!found) return { removed: true, detail: `${where} has no provisioned concurrency (already removed)` };
    const requested = found.RequestedProvisionedConcurrentExecutions;
    if (requested !== plan.count) {
      return {
        removed: false,
        detail: `${where} now has ${requested} provisioned concurrency, which fledge did not set (it set ${plan.count}); left as it is`,
      };
    }
    await this.call('DeleteProvisionedConcurrencyConfig', () =>
      this.client.send(
        new DeleteProvisionedConcurrencyConfigCommand({
          FunctionName: this.target.functionName,
          Qualifier: plan.version,
        }),
      ),
    ).catch(ignoreNotFound);
    const after = await this.provisionedConfig(plan.version);
    if (after) {
      throw new WeightVerificationError(
        `${where} still has ${after.RequestedProvisionedConcurrentExecutions} provisioned concurrency after fledge removed it`,
      );
    }
    return { removed: true, detail: `removed the ${plan.count} provisioned concurrency of ${where}` };
  }

  /**
   * Writes `desired` if the alias is still as this rollout last left it; a retried step whose write
   * already landed finds `desired` in place and writes nothing.
   */
  private async moveFromLastWrite(
    desired: Split,
    context: TrafficContext,
    already: string,
  ): Promise<Applied> {
    const current = await this.read();
    if (sameSplit(current, desired)) return this.applied(current, context, already);
    this.assertUnchanged(current, context);
    return this.write(desired, current.revision ?? context.revision, context);
  }

  private async write(
    desired: Split,
    revision: string | undefined,
    context: TrafficContext,
  ): Promise<Applied> {
    const { functionName, alias } = this.target;
    try {
      await this.call('UpdateAlias', () =>
        this.client.send(
          new UpdateAliasCommand({
            FunctionName: functionName,
            Name: alias,
            FunctionVersion: desired.version,
            RoutingConfig: { AdditionalVersionWeights: desired.weights },
            RevisionId: revision,
          }),
        ),
      );
    } catch (error) {
      if ((error as Error).name !== 'PreconditionFailedException') throw error;
      // A stale RevisionId: either this very write landed and its response was lost (the SDK then
      // resent it with the old RevisionId), or someone else wrote in between. The alias says which.
      const now = await this.read();
      if (sameSplit(now, desired)) {
        return this.applied(
          now,
          context,
          `alias ${alias}: ${describe(now)} (the write had landed; its response was lost)`,
        );
      }
      throw new TrafficConflictError(
        `alias ${alias} changed while fledge was updating it: it now routes ${describe(now)} ` +
          `(revision ${now.revision}), which fledge did not write. fledge stopped without writing.`,
        { cause: error },
      );
    }
    const after = await this.read();
    if (!sameSplit(after, desired)) {
      throw new WeightVerificationError(
        `alias ${alias} should route ${describe(desired)} but reads back ${describe(after)}`,
      );
    }
    return this.applied(after, context, `alias ${alias}: ${describe(after)}`);
  }

  private assertUnchanged(current: Split, context: TrafficContext): void {
    const expected = splitAt(context.weight, context);
    const revisionMoved = context.revision !== undefined && current.revision !== context.revision;
    if (!sameSplit(current, expected) || revisionMoved) {
      throw new TrafficConflictError(
        `alias ${this.target.alias} was changed by someone else during the rollout: expected ${describe(expected)}` +
          `${revisionMoved ? ` at revision ${context.revision}` : ''}, found ${describe(current)}` +
          `${revisionMoved ? ` at revision ${current.revision}` : ''}. fledge stopped without writing.`,
      );
    }
  }

  /** The weight at the precision the rollout state records; Plan refuses finer steps (WEIGHT_DECIMALS). */
  private applied(split: Split, context: TrafficContext, detail: string): Applied {
    const weight = split.version === context.canary ? 100 : round((split.weights[context.canary] ?? 0) * 100);
    return { weight, revision: split.revision, detail };
  }

  private async read(): Promise<Split> {
    const alias: AliasConfiguration = await this.call('GetAlias', () =>
      this.client.send(
        new GetAliasCommand({ FunctionName: this.target.functionName, Name: this.target.alias }),
      ),
    );
    const weights = Object.fromEntries(
      Object.entries(alias.RoutingConfig?.AdditionalVersionWeights ?? {}).filter(([, w]) => w > 0),
    );
    return { version: alias.FunctionVersion ?? '', weights, revision: alias.RevisionId };
  }

  /** The alias's provisioned concurrency (what the stable side has) and the canary version's own. */
  private async provisionedOfBothSides(): Promise<{ stable: number; canary: number }> {
    // The new version's own matters only beside an alias that has some (whether fledge adds any, and
    // whether the canary runs cold beside warm instances). Skipping it otherwise spares one Lambda
    // control-plane call per Plan, the quota many rollouts at once bind on first (docs/CAPACITY.md).
    const alias = await this.provisionedConfig(this.target.alias);
    const stable = alias?.RequestedProvisionedConcurrentExecutions ?? 0;
    if (stable === 0) return { stable, canary: 0 };
    const canary = await this.provisionedConfig(this.target.version);
    return { stable, canary: canary?.RequestedProvisionedConcurrentExecutions ?? 0 };
  }

  /** The provisioned concurrency configuration of an alias or version, or undefined when it has none. */
  private async provisionedConfig(
    qualifier: string,
  ): Promise<GetProvisionedConcurrencyConfigCommandOutput | undefined> {
    try {
      const config = await this.call('GetProvisionedConcurrencyConfig', () =>
        this.client.send(
          new GetProvisionedConcurrencyConfigCommand({
            FunctionName: this.target.functionName,
            Qualifier: qualifier,
          }),
        ),
      );
      return config?.RequestedProvisionedConcurrentExecutions ? config : undefined;
    } catch (error) {
      if (NOT_FOUND.has((error as Error).name)) return undefined;
      throw error;
    }
  }

  /** The function's published versions, oldest first, each with its timeout in seconds. */
  private async publishedVersions(): Promise<Map<string, number | undefined>> {
    const versions: [string, number | undefined][] = [];
    const pages = paginateListVersionsByFunction(
      { client: this.client },
      { FunctionName: this.target.functionName },
    );
    await this.call('ListVersionsByFunction', async () => {
      for await (const page of pages) {
        for (const fn of page.Versions ?? []) {
          if (fn.Version && fn.Version !== '$LATEST') versions.push([fn.Version, fn.Timeout]);
        }
      }
    });
    return new Map(versions.sort(([a], [b]) => Number(a) - Number(b)));
  }

  private call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    return awsCall(`lambda:${action} on ${this.target.functionName}`, fn);
  }
}

/**
 * The alias split that routes `weight` percent to the canary. Lambda takes extra weights below 1 only, so
 * 100% is the canary as the alias's version (an AllAtOnce switch that bakes before it is final).
 */
function splitAt(weight: number, context: TrafficContext): Split {
  if (weight >= 100) return { version: context.canary, weights: {} };
  return { version: context.baseline, weights: weight > 0 ? { [context.canary]: weight / 100 } : {} };
}

function sameSplit(a: Split, b: Split): boolean {
  if (a.version !== b.version) return false;
  const keys = new Set([...Object.keys(a.weights), ...Object.keys(b.weights)]);
  return [...keys].every((k) => Math.abs((a.weights[k] ?? 0) - (b.weights[k] ?? 0)) < EPSILON);
}

function describe(split: Split): string {
  const extra = Object.entries(split.weights).map(([v, w]) => `${round(w * 100)}% to version ${v}`);
  const extraTotal = Object.values(split.weights).reduce((a, b) => a + b, 0);
  return [`${round((1 - extraTotal) * 100)}% to version ${split.version}`, ...extra].join(', ');
}

function ranges(versions: readonly string[]): string {
  if (versions.length === 0) return 'none';
  const nums = versions.map(Number);
  const out: string[] = [];
  let start = nums[0] ?? 0;
  let prev = start;
  for (const n of [...nums.slice(1), Number.NaN]) {
    if (n === prev + 1) {
      prev = n;
      continue;
    }
    out.push(start === prev ? `${start}` : `${start}-${prev}`);
    start = n;
    prev = n;
  }
  return out.join(', ');
}

/**
 * What Lambda answers for a qualifier without provisioned concurrency: Get says
 * ProvisionedConcurrencyConfigNotFoundException; Delete documents ResourceNotFoundException.
 */
const NOT_FOUND = new Set(['ProvisionedConcurrencyConfigNotFoundException', 'ResourceNotFoundException']);

function ignoreNotFound(error: unknown): void {
  if (!NOT_FOUND.has((error as Error).name)) throw error;
}

/** Lambda's status of a configuration, with its reason when it failed. */
function statusOf(config: {
  Status?: string | undefined;
  StatusReason?: string | undefined;
}): ProvisionedRead {
  const status: ProvisionedStatus =
    config.Status === 'READY' || config.Status === 'FAILED' ? config.Status : 'IN_PROGRESS';
  return { status, ...(config.StatusReason ? { reason: config.StatusReason } : {}) };
}

function notFound(message: string): (error: unknown) => never {
  return (error) => {
    if ((error as Error).name === 'ResourceNotFoundException')
      throw new InvalidInputError(message, { cause: error });
    throw error;
  };
}

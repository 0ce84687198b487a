/**
 * What Plan and `fledge start` check of a rollout input, in the same words, so they cannot drift: the
 * input alone (validateInput), what it names in AWS (checkReferences), and the target as read
 * (fitToTarget). Each refusal names the field to change; none of them writes.
 */
import { InvalidInputError } from '../core/errors';
import { EXTRA_MINUTES } from '../core/history';
import { scheduleProblems } from '../core/limits';
import { metricLag } from '../core/metric-lag';
import { metricProblems } from '../core/metric-queries';
import { gateAfter } from '../core/operator';
import type { TrafficContext } from '../core/ports';
import { MAX_PROVISION_WAIT_SECONDS } from '../core/provisioned';
import { recordKey, recordLabel } from '../core/record';
import {
  type AnalysisInput,
  DEFAULT_METRIC_LAG_MINUTES,
  type DeployInput,
  DeployInputSchema,
  describeIssues,
  type GatesConfig,
  type ReleaseInput,
  ReleaseInputSchema,
  type ReleaseTarget,
  type Target,
} from '../core/schema';
import { resolveStrategy, type Step } from '../core/strategy';
import { kindOf } from '../targets/kinds';
import type { Deps } from './deps';

/** An input that passed validateInput, with its schedule resolved. */
export interface ValidInput {
  input: DeployInput;
  /** The strategy's steps (AllAtOnce with gates: one step at 100% watched before promotion). */
  steps: Step[];
  /** What the input and its plan take of the execution's state, which Step Functions limits. */
  stateBytes: number;
}

/**
 * The schema, the strategy, the target kind's limits on a schedule, the gates, the metrics and the
 * execution's limits at the lag as given. `raw` is what the execution received (an event wraps the input).
 */
export function validateInput(input: unknown, raw: unknown = input): ValidInput {
  const parsed = DeployInputSchema.safeParse(input);
  if (!parsed.success) {
    throw new InvalidInputError(`invalid rollout input: ${describeIssues(parsed.error.issues).join('; ')}`);
  }
  const { target, strategy, analysis, gates } = parsed.data;
  const steps = withSwitchBake(resolveStrategy(strategy), analysis);
  const valid = {
    input: parsed.data,
    steps,
    stateBytes: byteSize(raw) + byteSize(parsed.data) + byteSize(steps),
  };
  const problems = [
    ...kindOf(target).stepProblems(target, steps),
    ...gateProblems(steps, gates),
    ...metricProblems(target, analysis),
    ...scheduleFit(valid, steps, analysis.metricLagMinutes ?? DEFAULT_METRIC_LAG_MINUTES),
  ];
  if (problems.length > 0) throw new InvalidInputError(`invalid rollout input: ${problems.join('; ')}`);
  return valid;
}

/** A release input that passed validateReleaseInput: the release, and each target as a rollout's input. */
export interface ValidRelease {
  input: ReleaseInput;
  /** Each target's input as one rollout's, validated as one, in the release's order. */
  members: ValidInput[];
  steps: Step[];
  stateBytes: number;
}

/**
 * A release input (`targets` instead of `target`): the schema, no target twice, then each target with
 * the release's schedule and analysis as validateInput checks a rollout, its refusals prefixed with the
 * target's place. Custom metrics (analysis.requests, errors) name one target's dimensions, so a release
 * refuses them: each target is judged on its kind's default metrics.
 */
export function validateReleaseInput(input: unknown, raw: unknown = input): ValidRelease {
  const parsed = ReleaseInputSchema.safeParse(input);
  if (!parsed.success) {
    throw new InvalidInputError(`invalid release input: ${describeIssues(parsed.error.issues).join('; ')}`);
  }
  const { targets: entries, release: _name, ...shared } = parsed.data;
  const targets = entries.map(targetOf);
  const problems = [...duplicateTargets(targets), ...sharedMetricProblems(shared.analysis)];
  const members: ValidInput[] = [];
  entries.forEach((entry, i) => {
    const target = targetOf(entry);
    const analysis = 'target' in entry ? { ...shared.analysis, ...entry.analysis } : shared.analysis;
    try {
      members.push(validateInput({ ...shared, analysis, target }, raw));
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      problems.push(
        `targets[${i}] (${recordLabel(target)}): ${error.message.replace(/^invalid rollout input: /, '')}`,
      );
    }
  });
  const steps = members[0]?.steps ?? [];
  if (steps.some((step) => step.adaptive)) problems.push(ADAPTIVE_RELEASE_REFUSAL);
  if (problems.length > 0) throw new InvalidInputError(`invalid release input: ${problems.join('; ')}`);
  return {
    input: parsed.data,
    members,
    steps,
    stateBytes: byteSize(raw) + byteSize(parsed.data) + byteSize(steps),
  };
}

/**
 * The adaptive ramp climbs a rung only while the evidence at it leans healthy; a release would need
 * every target to lean so at once, and measured (`npm run bench`, five healthy targets) it promoted
 * half of them, the rest held on low rungs until they ran out of time. Refused until it has a rule of
 * its own for several targets.
 */
const ADAPTIVE_RELEASE_REFUSAL =
  'strategy: the Adaptive ramp cannot run a release yet (five healthy targets were released only half ' +
  'the time); use a fixed strategy such as Linear10PercentEvery1Minute or Canary10Percent5Minutes';

/** A release's entry's target: the entry itself, or its `target` when it names its own metrics. */
export function targetOf(entry: ReleaseTarget): Target {
  return 'target' in entry ? entry.target : entry;
}

function duplicateTargets(targets: readonly Target[]): string[] {
  const seen = new Map<string, number>();
  return targets.flatMap((target, i) => {
    const key = recordKey(target);
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, i);
      return [];
    }
    return [
      `targets[${i}]: ${recordLabel(target)} is targets[${first}] again; a release moves each target once`,
    ];
  });
}

function sharedMetricProblems(analysis: AnalysisInput): string[] {
  return (['requests', 'errors'] as const).flatMap((field) =>
    analysis[field]
      ? [
          `analysis.${field}: names one target's dimensions, and a release judges each target on its own; ` +
            `give it per target instead: {"target": {…}, "analysis": {"${field}": …}} in targets`,
        ]
      : [],
  );
}

/** What the input names in AWS besides the target: its alarms, health checks and hook functions exist. */
export async function checkReferences(
  { input }: ValidInput,
  deps: Pick<Deps, 'metrics' | 'hooks'>,
): Promise<void> {
  const { analysis, hooks } = input;
  const missing = await deps.metrics.missingAlarms(analysis.alarms);
  if (missing.length > 0) {
    throw new InvalidInputError(`analysis.alarms: no CloudWatch alarm named ${missing.join(', ')}`);
  }
  await checkNamedMetricsListed(input, deps);
  const unwatchable = await deps.metrics.unwatchableChecks(analysis.healthChecks);
  if (unwatchable.length > 0) {
    throw new InvalidInputError(`analysis.healthChecks: ${unwatchable.join('; ')}`);
  }
  const hookProblems = await Promise.all(
    Object.entries(hooks).map(async ([when, ref]) => {
      const problem = ref ? await deps.hooks(ref) : undefined;
      return problem ? `hooks.${when}: ${problem}` : undefined;
    }),
  );
  if (hookProblems.some(Boolean)) {
    throw new InvalidInputError(`invalid rollout input: ${hookProblems.filter(Boolean).join('; ')}`);
  }
}

/**
 * For a kind whose series cannot be known in advance (API Gateway's stage canary), each series the input
 * names, on each side, is one CloudWatch lists: a canary judged on a series that never comes would only
 * ever read as no data.
 */
async function checkNamedMetricsListed(input: DeployInput, deps: Pick<Deps, 'metrics'>): Promise<void> {
  const { target, analysis } = input;
  const why = kindOf(target).namedMetricsMustBeListed;
  if (!why) return;
  const own = analysis.latency;
  const pairs = {
    requests: analysis.requests,
    errors: analysis.errors,
    latency:
      own?.namespace && own.metricName && own.stable && own.canary
        ? { namespace: own.namespace, metricName: own.metricName, stable: own.stable, canary: own.canary }
        : undefined,
  };
  const named = Object.entries(pairs).flatMap(([field, pair]) =>
    pair
      ? (['stable', 'canary'] as const).map((side) => ({
          field: `analysis.${field}.${side}`,
          metric: { namespace: pair.namespace, metricName: pair.metricName, dimensions: pair[side] },
        }))
      : [],
  );
  if (named.length === 0) return;
  const unlisted = new Set(await deps.metrics.unlistedMetrics(named.map((n) => n.metric)));
  const problems = named
    .filter((n) => unlisted.has(n.metric))
    .map(({ field, metric }) => {
      const dimensions = Object.entries(metric.dimensions)
        .map(([name, value]) => `${name}=${value}`)
        .join(', ');
      return `${field}: CloudWatch lists no ${metric.namespace} ${metric.metricName} with exactly {${dimensions}}`;
    });
  if (problems.length > 0) {
    throw new InvalidInputError(`invalid rollout input: ${problems.join('; ')}; ${why}`);
  }
}

/**
 * The schedule and the metric lag fitted to the target as the router read it (a DNS TTL, the longest
 * request), and still within the execution's limits.
 */
export function fitToTarget(
  valid: ValidInput,
  context: TrafficContext,
): { steps: Step[]; lag: { minutes: number; reason?: string } } {
  const { target, analysis } = valid.input;
  const steps = kindOf(target).fitSteps(target, valid.steps, context);
  const lag = metricLag(analysis.metricLagMinutes, context, target);
  const problems = scheduleFit(valid, steps, lag.minutes);
  if (problems.length > 0) {
    throw new InvalidInputError(
      `invalid rollout input: ${lag.reason ? `${lag.reason}; ` : ''}${problems.join('; ')}`,
    );
  }
  return { steps, lag };
}

/** What keeps `steps` from fitting the execution's limits, holding a step up to `maxExtraMinutes` for data. */
export function scheduleFit(
  valid: ValidInput,
  steps: readonly Step[],
  metricLagMinutes: number,
  maxExtraMinutes = valid.input.analysis.insufficientData.maxExtraMinutes ?? EXTRA_MINUTES.base,
): string[] {
  const { analysis, gates } = valid.input;
  return scheduleProblems(
    steps,
    {
      checkIntervalMinutes: analysis.checkIntervalMinutes,
      metricLagMinutes,
      maxExtraMinutes,
      // A kind that may warm its canary first (Lambda's provisioned concurrency) may wait that long too.
      extraHoldSeconds:
        operatorHoldSeconds(steps, gates) +
        (kindOf(valid.input.target).canaryCapacity ? MAX_PROVISION_WAIT_SECONDS : 0),
    },
    valid.stateBytes,
  );
}

/** The longest operators can hold a rollout: every gate waiting until its timeout, and one pause. */
function operatorHoldSeconds(steps: readonly Step[], gates: GatesConfig): number {
  const count = steps.filter((_, i) => gateAfter(steps, i, gates) !== undefined).length;
  return (count * gates.approvalTimeoutMinutes + gates.maxPauseMinutes) * 60;
}

function gateProblems(steps: readonly Step[], gates: GatesConfig): string[] {
  if (steps.length > 0 || !gates.beforePromotion) return [];
  return [
    'gates.beforePromotion: AllAtOnce moves all traffic in one write, so there is no moment to approve; ' +
      'use a canary step with approve, e.g. {"steps":[{"weight":10,"bakeMinutes":5,"approve":true}]}',
  ];
}

/**
 * AllAtOnce with alarms or health checks moves all traffic, then watches them for allAtOnceBakeMinutes
 * before promotion, as CodeDeploy watches a deployment's alarms; any of them firing rolls back. Without
 * gates there is nothing to watch, and AllAtOnce promotes at once.
 */
function withSwitchBake(steps: Step[], analysis: AnalysisInput): Step[] {
  const gated = analysis.alarms.length > 0 || analysis.healthChecks.length > 0;
  if (steps.length > 0 || !gated) return steps;
  return [{ weight: 100, bakeSeconds: Math.round(analysis.allAtOnceBakeMinutes * 60) }];
}

function byteSize(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '');
}

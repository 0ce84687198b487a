/**
 * Plan for a release (`targets` instead of `target`, docs/RELEASES.md): each target validated as a
 * rollout of it alone would be, every target's record taken in one transaction, each target read (its
 * baseline, its last hour) and checked before any is prepared, and one schedule for all of them.
 */
import { runsColdBesideWarm } from '../core/cold-start';
import { InvalidInputError, willBeRetried } from '../core/errors';
import { extraHold, forecastRollout, type Prior } from '../core/history';
import { armQueries } from '../core/metric-queries';
import type { TrafficContext } from '../core/ports';
import { type RolloutRecord, recordKey, recordLabel } from '../core/record';
import { releaseExtraMinutes } from '../core/release';
import { resolvedAnalysis } from '../core/schema';
import { isAdaptive, type Step } from '../core/strategy';
import { kindOf } from '../targets/kinds';
import { ReleaseRouter } from '../targets/release-router';
import {
  announce,
  freeRefused,
  newRecord,
  type PlanContext,
  type PlanDeps,
  readLastHour,
  type SkippedRun,
  type Thresholds,
  type TriggerInfo,
  withClaimedEvent,
} from './plan';
import { memberTraffic, type ReleaseMemberState, type ReleaseState, sparseErrors } from './release';
import type { RolloutState } from './rollout';
import {
  checkReferences,
  fitToTarget,
  scheduleFit,
  type ValidInput,
  type ValidRelease,
  validateReleaseInput,
} from './validate';

/** Whether an input is a release's: it names `targets`, not `target`. */
export function isReleaseInput(input: unknown): boolean {
  return typeof input === 'object' && input !== null && 'targets' in input;
}

type History = { prior: Prior | undefined; thresholds: Thresholds };

/** Plan's steps for a release; every refusal names the target (`targets[2]: …`) and writes nothing. */
export async function planRelease(
  input: unknown,
  raw: unknown,
  trigger: TriggerInfo,
  deps: PlanDeps,
  context: PlanContext,
): Promise<RolloutState | SkippedRun> {
  const valid = validateReleaseInput(input, raw);
  // Alarms, health checks and hooks are the release's, the same for every target: checked once.
  await checkReferences(valid.members[0] as ValidInput, deps);
  const now = deps.clock.now();
  const histories = await Promise.all(valid.members.map((member) => readLastHour(member, deps, now)));
  const taken = await takeTargets(valid, trigger, deps, context.executionId, now);
  if ('next' in taken) return taken;
  const state = fixReleaseSchedule(valid, taken, histories, trigger, now);
  await announce(state, deps, now);
  return state;
}

/** The targets as taken: their records, the release's traffic, and each target's fitted schedule. */
interface TakenRelease {
  records: RolloutRecord[];
  traffic: TrafficContext;
  fitted: Array<{ steps: Step[]; lag: { minutes: number; reason?: string } }>;
}

/**
 * Claims the event, takes every target's record in one transaction, and reads and checks every target
 * before any is prepared (ReleaseRouter.prepare). A refusal frees every record and the event; a
 * transient failure keeps them for the state machine's retry as the same owner.
 */
async function takeTargets(
  valid: ValidRelease,
  trigger: TriggerInfo,
  deps: PlanDeps,
  owner: string,
  now: Date,
): Promise<TakenRelease | SkippedRun> {
  const targets = valid.members.map((m) => m.input.target);
  const keys = targets.map(recordKey);
  const name = valid.input.release;
  return withClaimedEvent(trigger, deps, owner, now, async () => {
    const records = targets.map(
      (target): RolloutRecord => ({
        ...newRecord(target, owner, now),
        release: { ...(name ? { name } : {}), keys },
      }),
    );
    const fitted: TakenRelease['fitted'] = [];
    await deps.records.acquireAll(records);
    try {
      const router = new ReleaseRouter(
        valid.members.map((member, i) => ({
          label: kindOf(member.input.target).label(member.input.target),
          router: deps.router(member.input.target),
          check: (context: TrafficContext) => {
            fitted[i] = fitToTarget(member, context);
          },
        })),
      );
      const traffic = await router.prepare();
      if (fitted.length !== targets.length || fitted.some((f) => f === undefined))
        throw new Error('the router read the release without checking every target');
      return { records, traffic, fitted };
    } catch (error) {
      // As for one target: a transient failure is retried as the same owner; recovery frees what is left.
      if (!willBeRetried(error)) {
        await Promise.all(records.map((record) => freeRefused(record, error, deps)));
      }
      throw error;
    }
  });
}

/**
 * The release's one schedule: every step as long as its longest target needs (a DNS TTL), the longest
 * metric lag of any target, and the hold for promotion evidence stretched for n targets
 * (releaseExtraMinutes). Each target keeps its own metrics, thresholds and prior.
 */
function fixReleaseSchedule(
  valid: ValidRelease,
  taken: TakenRelease,
  histories: readonly History[],
  trigger: TriggerInfo,
  now: Date,
): RolloutState {
  const first = valid.members[0] as ValidInput;
  const { strategy, analysis: given, hooks, gates } = first.input;
  const owner = taken.records[0]?.owner ?? '';
  const steps = releaseSteps(valid, taken.fitted);
  const lagMinutes = Math.max(...taken.fitted.map((f) => f.lag.minutes));
  const lagReasons = taken.fitted.flatMap((f, i) => (f.lag.reason ? [`targets[${i}]: ${f.lag.reason}`] : []));
  const extra = releaseHold(valid, steps, lagMinutes, histories);
  const analysis = resolvedAnalysis(given, {
    metricLagMinutes: lagMinutes,
    maxExtraMinutes: extra.minutes,
    adaptive: isAdaptive(steps),
  });
  const sides = memberTraffic(
    {
      members: valid.members.map((m) => ({ name: kindOf(m.input.target).label(m.input.target) })),
    } as ReleaseState,
    taken.traffic,
  );
  const members = valid.members.map((member, i): ReleaseMemberState & { capacityNote?: string } => {
    const { target } = member.input;
    const traffic = sides[i] as TrafficContext;
    const history = histories[i] as History;
    const { counts, latency } = armQueries(target, member.input.analysis, traffic, history.thresholds);
    const capacity = kindOf(target).canaryCapacity?.(target, steps, traffic) ?? {};
    return {
      target,
      name: kindOf(target).label(target),
      label: recordLabel(target, traffic),
      key: recordKey(target),
      metrics: counts,
      latency,
      ...(history.prior ? { prior: history.prior } : {}),
      ...(sparseErrors(target, member.input.analysis)
        ? { errorsPublishedOnlyWhenNonZero: true as const }
        : {}),
      ...(capacity.plan ? { provisioned: capacity.plan } : {}),
      ...(runsColdBesideWarm(traffic, capacity.plan) ? { coldCanary: { minutes: [] } } : {}),
      ...(capacity.note ? { capacityNote: capacity.note } : {}),
    };
  });
  const forecast = slowestForecast(steps, histories, analysis);
  const lead = members[0] as ReleaseMemberState;
  const release: ReleaseState = {
    ...(valid.input.release ? { name: valid.input.release } : {}),
    members: members.map(({ capacityNote: _note, ...member }) => member),
    ...(members.some((m) => m.provisioned) ? { capacity: 'planned' as const } : {}),
    input: valid.input,
  };
  const planned =
    `a release of ${members.length} targets (${members.map((m) => m.label).join(', ')}): ` +
    `${steps.length} step(s) planned, each moving every target` +
    (lagReasons.length > 0 ? `; ${lagReasons.join('; ')}` : '') +
    (extra.reason ? `; ${extra.reason}` : '') +
    capacityPlanned(members);
  return {
    target: lead.target,
    strategy,
    steps,
    analysis,
    ...(given.insufficientData.maxExtraMinutes === undefined ? { extraHoldFromHistory: true as const } : {}),
    ...(given.metricLagMinutes === undefined ? { metricLagFromPlan: true as const } : {}),
    hooks,
    gates,
    metrics: lead.metrics,
    latency: lead.latency,
    ...(lead.prior ? { prior: lead.prior } : {}),
    forecast,
    traffic: taken.traffic,
    progress: { stepIndex: 0, checks: 0, consecutiveErrors: 0 },
    next: { action: steps.length > 0 ? 'advance' : 'promote', reason: `${planned}; ${forecast.reason}` },
    waitSeconds: 0,
    startedAt: now.toISOString(),
    executionId: owner,
    trigger,
    record: { key: lead.key, owner },
    label: releaseLabel(release),
    release,
  };
}

/** How a person names a release: `release shop-2026-12-04 (checkout:live, cart:live, …)`. */
export function releaseLabel(release: Pick<ReleaseState, 'name' | 'members'>): string {
  const names = release.members.map((m) => m.name).join(', ');
  return release.name ? `release ${release.name} (${names})` : `release of ${names}`;
}

/** What Plan says of each target's canary capacity: what it will ask for, or why none (its kind's note). */
function capacityPlanned(members: ReadonlyArray<ReleaseMemberState & { capacityNote?: string }>): string {
  const said = members.flatMap((m) => {
    const plan = m.provisioned;
    if (plan)
      return [`${m.name}: ${plan.count} provisioned concurrency for version ${plan.version} (${plan.basis})`];
    return m.capacityNote ? [`${m.name}: ${m.capacityNote}`] : [];
  });
  if (said.length === 0) return '';
  const ready = members.some((m) => m.provisioned) ? ', every one READY before any traffic moves' : '';
  return `; ${said.join('; ')}${ready}`;
}

/** One schedule for every target: each step at the longest bake any target's fitting asked for. */
function releaseSteps(valid: ValidRelease, fitted: TakenRelease['fitted']): Step[] {
  return valid.steps.map((step, i) => {
    const bakes = fitted.map((f) => f.steps[i]?.bakeSeconds ?? step.bakeSeconds);
    return { ...step, bakeSeconds: Math.max(step.bakeSeconds, ...bakes) };
  });
}

/**
 * How long a step may be held for evidence: as the input says, or the longest any target's last hour
 * asks for, stretched for n targets (shared/core/release.ts), shortened to what fits the execution.
 */
function releaseHold(
  valid: ValidRelease,
  steps: readonly Step[],
  lagMinutes: number,
  histories: readonly History[],
): { minutes: number; reason?: string } {
  const first = valid.members[0] as ValidInput;
  const configured = first.input.analysis.insufficientData.maxExtraMinutes;
  const fits = (minutes: number) =>
    valid.members.every((m) => scheduleFit(m, steps, lagMinutes, minutes).length === 0);
  // Each target fitted its own steps; the release's take the longest of each, which must fit too.
  if (configured !== undefined && fits(configured)) return { minutes: configured };
  const perTarget =
    configured !== undefined ? [configured] : histories.map((h) => extraHold(undefined, h.prior).minutes);
  const wanted = configured ?? releaseExtraMinutes(perTarget, first.input.analysis.beta);
  let minutes = wanted;
  while (minutes > perTarget.reduce((a, b) => Math.min(a, b)) && !fits(minutes)) minutes -= 5;
  if (!fits(minutes)) {
    throw new InvalidInputError(
      `invalid release input: the release's schedule does not fit the state machine's limits (${scheduleFit(first, steps, lagMinutes, minutes).join('; ')})`,
    );
  }
  return {
    minutes,
    reason: `a step may be held up to ${minutes} extra minutes for evidence: each of ${perTarget.length} targets is judged at beta / ${perTarget.length}, so its evidence takes longer`,
  };
}

function slowestForecast(
  steps: readonly Step[],
  histories: readonly History[],
  analysis: ReturnType<typeof resolvedAnalysis>,
) {
  const forecasts = histories.map((h) => forecastRollout(steps, h.prior, analysis));
  // A forecast without minutes (too little traffic to say) is the slowest.
  const minutes = (f: (typeof forecasts)[number]) => f.minutes ?? Number.POSITIVE_INFINITY;
  return forecasts.reduce((a, b) => (minutes(b) > minutes(a) ? b : a));
}

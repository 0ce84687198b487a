/**
 * `fledge replay`: the rollout's decisions over a past window of real CloudWatch metrics, with no
 * traffic change. It runs the same state machine and handlers as a live run, on a virtual clock that
 * starts at the past time, with a router that records what it would have done instead of writing.
 */
import { ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { cloudWatchClient } from '../../shared/aws/clients';
import { VirtualClock } from '../../shared/core/clock';
import { InvalidInputError } from '../../shared/core/errors';
import type {
  Applied,
  LiveSplit,
  RolloutRecords,
  TrafficContext,
  TrafficRouter,
} from '../../shared/core/ports';
import type { Provisioned, ProvisionedRead } from '../../shared/core/provisioned';
import { recordKey } from '../../shared/core/record';
import type { Target } from '../../shared/core/schema';
import { targetLabel } from '../../shared/core/target-label';
import { isReleaseInput } from '../../shared/steps/plan-release';
import { kindOf } from '../../shared/targets/kinds';
import { type RunReport, toReport } from '../reports/progress';
import { MemoryRolloutRecords } from '../shared/memory-records';
import { defaultDeps } from '../shared/wiring';
import { type EventLog, runLocal } from './runner';

/** A router that only remembers: replays must never move traffic. */
export class RecordingRouter implements TrafficRouter {
  readonly actions: Array<{ at: string; action: string; weight: number }> = [];

  constructor(
    private readonly baseline: string,
    private readonly canary: string,
    private readonly now: () => Date,
  ) {}

  async prepare(check?: (context: TrafficContext) => void): Promise<TrafficContext> {
    const context = { baseline: this.baseline, canary: this.canary, weight: 0 };
    check?.(context);
    return context;
  }

  async setWeight(weight: number): Promise<Applied> {
    return this.record('set-weight', weight);
  }

  async promote(): Promise<Applied> {
    return this.record('promote', 100);
  }

  async rollback(): Promise<Applied> {
    return this.record('rollback', 0);
  }

  async inspect(): Promise<LiveSplit> {
    return { summary: 'replay: no live traffic', split: false };
  }

  /**
   * A replay asks AWS for nothing: the canary's provisioned concurrency (a number in the input) is taken as
   * READY at once, and its removal as done. (The replay reads no alias, so "auto" plans none.)
   */
  async provision(_plan: Provisioned): Promise<ProvisionedRead> {
    return { status: 'READY' };
  }

  async unprovision(plan: Provisioned): Promise<{ removed: boolean; detail: string }> {
    return { removed: true, detail: `replay: would remove ${plan.count} provisioned concurrency` };
  }

  private record(action: string, weight: number): Applied {
    this.actions.push({ at: this.now().toISOString(), action, weight });
    return { weight, detail: `replay: would ${action}${action === 'set-weight' ? ` ${weight}%` : ''}` };
  }
}

export interface ReplayReport extends RunReport {
  /** When the deciding check ran, on the replayed timeline. */
  decidedAt?: string;
  /** Says, to a reader of the JSON, that nothing happened: what it shows is what would have. */
  replay: true;
  replayed: { start: string; baseline: string; canary: string; actions: RecordingRouter['actions'] };
}

/**
 * The baseline of a past release, as it served the replayed window: given (`--baseline`); named by the
 * input (a weighted-record pair's stable side); else the one fledge's rollout record names, when that
 * record is of this release. The target as it is now says nothing about the past (a later rollout moves
 * it), so without either the replay is refused, naming the versions CloudWatch saw serve the alias.
 */
export async function resolveBaseline(
  target: Target,
  given: string | undefined,
  sources: BaselineSources,
): Promise<string> {
  const { baseline: named, canary } = kindOf(target).sides(target);
  const known = given ?? named;
  if (known) return known;
  const record = await sources.records.get(recordKey(target));
  if (record?.traffic && record.traffic.canary === canary) return record.traffic.baseline;
  const seen =
    target.type === 'lambda-alias' ? (await sources.versionsSeen(target)).filter((v) => v !== canary) : [];
  const versions = seen.length > 0 ? ` (versions CloudWatch saw serve it: ${seen.join(', ')})` : '';
  throw new InvalidInputError(
    `the baseline of ${targetLabel(target)} in the replayed window is unknown: fledge's rollout record is not of this release${record ? ` (it is of ${record.label})` : ''}, and the target as it is now says nothing about the past; pass --baseline <version>${versions}`,
  );
}

/** Where a replay's baseline can come from when it is not given. */
export interface BaselineSources {
  records: Pick<RolloutRecords, 'get'>;
  /** The versions Lambda reports invocations of for this alias (CloudWatch's ExecutedVersion). */
  versionsSeen: (target: Extract<Target, { type: 'lambda-alias' }>) => Promise<string[]>;
}

/** The ExecutedVersion values CloudWatch has Invocations of for the alias (its last two weeks). */
export async function versionsInCloudWatch(
  target: Extract<Target, { type: 'lambda-alias' }>,
): Promise<string[]> {
  const versions = new Set<string>();
  let NextToken: string | undefined;
  do {
    const page = await cloudWatchClient().send(
      new ListMetricsCommand({
        Namespace: 'AWS/Lambda',
        MetricName: 'Invocations',
        Dimensions: [
          { Name: 'FunctionName', Value: target.functionName },
          { Name: 'Resource', Value: `${target.functionName}:${target.alias}` },
          { Name: 'ExecutedVersion' },
        ],
        NextToken,
      }),
    );
    for (const metric of page.Metrics ?? []) {
      const version = metric.Dimensions?.find((d) => d.Name === 'ExecutedVersion')?.Value;
      if (version) versions.add(version);
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return [...versions].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
}

/** One target of a replayed release: its judgment at the release's last check. */
export interface ReplayedTarget {
  /** `checkout:live`, as the release's messages name it. */
  name: string;
  /** `alias checkout:live (version 1 → 2)`. */
  label: string;
  baseline: string;
  canary: string;
  verdict?: string;
  reason?: string;
}

export interface ReleaseReplayReport extends RunReport {
  decidedAt?: string;
  replay: true;
  replayed: {
    start: string;
    targets: Array<ReplayedTarget & { actions: RecordingRouter['actions'] }>;
  };
}

/** A release's targets as its input names them: a bare target, or `{target, analysis}`. */
function releaseTargets(input: Record<string, unknown>): Target[] {
  return (input.targets as unknown[]).map((entry) =>
    typeof entry === 'object' && entry !== null && 'target' in entry
      ? (entry as { target: Target }).target
      : (entry as Target),
  );
}

/**
 * A release's `--baseline`: `checkout:live=1,cart:live=1`, each target by the name the release gives it.
 * A bare version says nothing of which target it is the baseline of, and is refused.
 */
export function parseReleaseBaselines(
  given: string | undefined,
  names: readonly string[],
): Map<string, string> {
  const baselines = new Map<string, string>();
  if (given === undefined) return baselines;
  for (const part of given
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const at = part.lastIndexOf('=');
    const name = part.slice(0, at);
    if (at <= 0 || at === part.length - 1 || !names.includes(name))
      throw new InvalidInputError(
        `--baseline for a release is <target>=<version>, comma-separated, each target one of ${names.join(', ')}; got '${part}'`,
      );
    baselines.set(name, part.slice(at + 1));
  }
  return baselines;
}

export async function replay(options: {
  input: Record<string, unknown>;
  start: Date;
  baseline?: string | undefined;
  onEvent?: (event: EventLog) => void;
  /** The replay's clock (default: a new one at `start`), for a caller that tells its time. */
  clock?: VirtualClock;
}): Promise<ReplayReport | ReleaseReplayReport> {
  if (isReleaseInput(options.input)) return replayRelease(options);
  return replayRollout(options as Parameters<typeof replayRollout>[0]);
}

/**
 * A release's replay: every target behind its own recording router, its baseline resolved as a single
 * rollout's is, and the real steps judging each at alpha / n and beta / n and deciding for all.
 */
async function replayRelease(options: Parameters<typeof replay>[0]): Promise<ReleaseReplayReport> {
  const targets = releaseTargets(options.input);
  const names = targets.map((t) => kindOf(t).label(t));
  const given = parseReleaseBaselines(options.baseline, names);
  const wired = defaultDeps();
  const clock = options.clock ?? new VirtualClock(options.start);
  const members = await Promise.all(
    targets.map(async (target, i) => {
      const name = names[i] as string;
      const { canary } = kindOf(target).sides(target);
      const baseline = await resolveBaseline(target, given.get(name), {
        records: wired.records,
        versionsSeen: versionsInCloudWatch,
      });
      return {
        target,
        name,
        baseline,
        canary,
        router: new RecordingRouter(baseline, canary, () => clock.now()),
      };
    }),
  );
  const routers = new Map(members.map((m) => [recordKey(m.target), m.router]));
  let lastRelease:
    | { members?: Array<{ name: string; label: string; lastVerdict?: { verdict: string; reason: string } }> }
    | undefined;
  const result = await runLocal({
    input: options.input,
    deps: {
      ...wired,
      clock,
      router: (target: Target) => {
        const router = routers.get(recordKey(target));
        if (!router)
          throw new InvalidInputError(`replay: ${targetLabel(target)} is not a target of the release`);
        return router;
      },
      records: new MemoryRolloutRecords(),
      events: { publish: async () => undefined },
      hooks: async () => undefined,
    },
    virtualClock: clock,
    invoke: async () => ({ status: 'Succeeded', replay: 'not run in a replay' }),
    onEvent: (event) => {
      if (event.type === 'StateExited') {
        const release = (event.state.output as { rollout?: { release?: typeof lastRelease } } | undefined)
          ?.rollout?.release;
        if (release?.members) lastRelease = release;
      }
      options.onEvent?.(event);
    },
  });
  const report = toReport(result);
  const decided = members
    .flatMap((m) => m.router.actions)
    .filter((a) => a.action === 'promote' || a.action === 'rollback')
    .map((a) => a.at)
    .sort()[0];
  return {
    ...report,
    ...(decided ? { decidedAt: decided } : {}),
    replay: true,
    replayed: {
      start: options.start.toISOString(),
      targets: members.map((m, i) => {
        const state = lastRelease?.members?.[i];
        return {
          name: m.name,
          label: state?.label ?? targetLabel(m.target),
          baseline: m.baseline,
          canary: m.canary,
          ...(state?.lastVerdict
            ? { verdict: state.lastVerdict.verdict, reason: state.lastVerdict.reason }
            : {}),
          actions: m.router.actions,
        };
      }),
    },
  };
}

async function replayRollout(options: {
  input: { target: Target } & Record<string, unknown>;
  start: Date;
  baseline?: string | undefined;
  onEvent?: (event: EventLog) => void;
  clock?: VirtualClock;
}): Promise<ReplayReport> {
  const { target } = options.input;
  const { canary } = kindOf(target).sides(target);
  const wired = defaultDeps();
  const baseline = await resolveBaseline(target, options.baseline, {
    records: wired.records,
    versionsSeen: versionsInCloudWatch,
  });
  const clock = options.clock ?? new VirtualClock(options.start);
  const router = new RecordingRouter(baseline, canary, () => clock.now());
  const result = await runLocal({
    input: options.input,
    // A replay changes nothing: no lock, no lifecycle events, and a router that only records.
    deps: {
      ...wired,
      clock,
      router: () => router,
      records: new MemoryRolloutRecords(),
      events: { publish: async () => undefined },
      // Nor does it run hooks: a smoke or e2e test run today would act on live systems, and would decide
      // last week's replay by today's result. A hook that need not exist is not looked up either.
      hooks: async () => undefined,
    },
    virtualClock: clock,
    invoke: async () => ({ status: 'Succeeded', replay: 'not run in a replay' }),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  const report = toReport(result);
  const decided = router.actions.find((a) => a.action === 'promote' || a.action === 'rollback');
  return {
    ...report,
    ...(decided ? { decidedAt: decided.at } : {}),
    replay: true,
    replayed: { start: options.start.toISOString(), baseline, canary, actions: router.actions },
  };
}

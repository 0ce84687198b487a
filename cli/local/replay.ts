/**
 * `fledge replay`: the rollout's decisions over a past window of real CloudWatch metrics, with no
 * traffic change. It runs the same state machine and handlers as a live run, on a virtual clock that
 * starts at the past time, with a router that records what it would have done instead of writing.
 */
import { GetAliasCommand } from '@aws-sdk/client-lambda';
import { lambdaClient } from '../../shared/aws/clients';
import { VirtualClock } from '../../shared/core/clock';
import { InvalidInputError } from '../../shared/core/errors';
import type { Applied, LiveSplit, TrafficContext, TrafficRouter } from '../../shared/core/ports';
import type { Target } from '../../shared/core/schema';
import { targetLabel } from '../../shared/core/target-label';
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

  private record(action: string, weight: number): Applied {
    this.actions.push({ at: this.now().toISOString(), action, weight });
    return { weight, detail: `replay: would ${action}${action === 'set-weight' ? ` ${weight}%` : ''}` };
  }
}

export interface ReplayReport extends RunReport {
  /** When the deciding check ran, on the replayed timeline. */
  decidedAt?: string;
  replay: { start: string; baseline: string; canary: string; actions: RecordingRouter['actions'] };
}

/**
 * The baseline of a past release: given; the stable record for Route 53; for a Lambda alias, read from
 * the alias when it no longer points at the released version (the release was rolled back). A promoted
 * alias release leaves no trace of its baseline.
 */
export async function resolveBaseline(target: Target, given: string | undefined): Promise<string> {
  // A weighted-record pair names its stable side in the input.
  const known = given ?? kindOf(target).sides(target).baseline;
  if (known) return known;
  if (target.type !== 'lambda-alias') {
    throw new InvalidInputError(`the baseline of ${targetLabel(target)} is unknown; pass --baseline`);
  }
  const alias = await lambdaClient().send(
    new GetAliasCommand({ FunctionName: target.functionName, Name: target.alias }),
  );
  if (alias.FunctionVersion && alias.FunctionVersion !== target.version) return alias.FunctionVersion;
  throw new InvalidInputError(
    `alias ${target.alias} now points at version ${target.version}, so its baseline is unknown; pass --baseline <version>`,
  );
}

export async function replay(options: {
  input: { target: Target } & Record<string, unknown>;
  start: Date;
  baseline?: string | undefined;
  onEvent?: (event: EventLog) => void;
  /** The replay's clock (default: a new one at `start`), for a caller that tells its time. */
  clock?: VirtualClock;
}): Promise<ReplayReport> {
  const { target } = options.input;
  const { canary } = kindOf(target).sides(target);
  const baseline = await resolveBaseline(target, options.baseline);
  const clock = options.clock ?? new VirtualClock(options.start);
  const router = new RecordingRouter(baseline, canary, () => clock.now());
  const result = await runLocal({
    input: options.input,
    // A replay changes nothing: no lock, no lifecycle events, and a router that only records.
    deps: {
      ...defaultDeps(),
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
    replay: { start: options.start.toISOString(), baseline, canary, actions: router.actions },
  };
}

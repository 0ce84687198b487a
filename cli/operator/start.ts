/**
 * `fledge start` and `fledge retry`: validate a rollout input here (the schema, then a read-only check of
 * the target), start an execution of the deployed state machine, and with `wait`, follow it with the
 * same progress lines as `fledge run` until it ends.
 */
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { InvalidInputError } from '../../shared/core/errors';
import type { TrafficContext } from '../../shared/core/ports';
import { fromExecutionHistory } from '../../shared/report/history';
import type { Deps } from '../../shared/steps/deps';
import { isReleaseInput } from '../../shared/steps/plan-release';
import {
  checkReferences,
  fitToTarget,
  type ValidInput,
  validateReleaseInput,
  validateInput as validateRollout,
} from '../../shared/steps/validate';
import { kindOf } from '../../shared/targets/kinds';
import { memberContexts, ReleaseRouter } from '../../shared/targets/release-router';
import type { EventLog, LocalRunResult } from '../local/runner';

/**
 * Everything `fledge start` can check without writing, as Plan checks it (shared/steps/validate.ts): the
 * input, the alarms, health checks and hooks it names, and the target as it is now (a function and
 * version that exist, an alias or records not already split) against the schedule and the metric lag.
 * Returns the change the rollout would make, e.g. `version 6 → 7`.
 */
export async function validateInput(
  input: unknown,
  deps: Pick<Deps, 'router' | 'metrics' | 'hooks'>,
): Promise<string> {
  if (isReleaseInput(input)) return validateRelease(input, deps);
  const valid = validateRollout(input);
  await checkReferences(valid, deps);
  const { target } = valid.input;
  const context = await deps.router(target).prepare((read) => fitToTarget(valid, read), { readOnly: true });
  return kindOf(target).transition(context);
}

/**
 * A release's input as Plan checks it: each target as a rollout of it alone, then every target read
 * (not prepared) and fitted to the schedule. Returns each target's change.
 */
async function validateRelease(
  input: unknown,
  deps: Pick<Deps, 'router' | 'metrics' | 'hooks'>,
): Promise<string> {
  const valid = validateReleaseInput(input);
  await checkReferences(valid.members[0] as ValidInput, deps);
  const router = new ReleaseRouter(
    valid.members.map((member) => ({
      label: kindOf(member.input.target).label(member.input.target),
      router: deps.router(member.input.target),
      check: (read: TrafficContext) => {
        fitToTarget(member, read);
      },
    })),
  );
  const read = await router.prepare(undefined, { readOnly: true });
  const targets = valid.members.map((m) => m.input.target);
  const sides = memberContexts(
    read,
    targets.map((t) => ({ label: kindOf(t).label(t) })),
  );
  return targets
    .map((t, i) => `${kindOf(t).label(t)}: ${kindOf(t).transition(sides[i] as TrafficContext)}`)
    .join(', ');
}

export interface Started {
  executionArn: string;
}

/**
 * Starts the execution. A state machine that is not there (a typo in --state-machine, another region,
 * a stage not deployed) is refused, naming it and where it came from (`from`), since nothing started.
 */
export async function startExecution(
  stateMachineArn: string,
  input: unknown,
  sfn = new SFNClient({}),
  from = 'flags and environment',
): Promise<Started> {
  let started: { executionArn?: string | undefined };
  try {
    started = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }));
  } catch (error) {
    const name = (error as Error).name;
    if (name !== 'StateMachineDoesNotExist' && name !== 'InvalidArn') throw error;
    const what =
      name === 'InvalidArn'
        ? `'${stateMachineArn}' (from ${from}) is not a state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>)`
        : `no state machine '${stateMachineArn}' (from ${from}) in this account and region`;
    throw new InvalidInputError(
      `${what}: check --state-machine, --stage or FLEDGE_STATE_MACHINE, and --region. Nothing was started`,
      { cause: error },
    );
  }
  if (!started.executionArn) throw new Error('Step Functions started no execution');
  return { executionArn: started.executionArn };
}

/**
 * Follows an execution until it ends, handing each state it leaves to `onEvent` in the local runner's
 * shape (so `fledge run`'s progress lines print the same), and returns its end as the runner would.
 */
export async function follow(
  executionArn: string,
  onEvent: (event: EventLog) => void,
  options: { sfn?: SFNClient; pollMs?: number; signal?: AbortSignal } = {},
): Promise<LocalRunResult> {
  const sfn = options.sfn ?? new SFNClient({});
  let seen = 0;
  const history: HistoryEvent[] = [];
  for (;;) {
    let token: string | undefined;
    history.length = 0;
    do {
      const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken: token }));
      history.push(...(page.events ?? []));
      token = page.nextToken;
    } while (token);
    const entries = fromExecutionHistory(history);
    for (const entry of entries.slice(seen)) {
      if (entry.type === 'StateExited') {
        onEvent({
          type: 'StateExited',
          state: { name: entry.state, output: entry.output },
        } as unknown as EventLog);
      }
      if (entry.type === 'StateFailed') {
        onEvent({
          type: 'StateFailed',
          state: { name: entry.state },
          Error: entry.error,
        } as unknown as EventLog);
      }
    }
    seen = entries.length;
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING') {
      const ended =
        execution.status === 'SUCCEEDED'
          ? 'SUCCEEDED'
          : execution.status === 'ABORTED'
            ? 'ABORTED'
            : 'FAILED';
      return {
        executionArn,
        status: ended,
        ...(execution.output ? { output: JSON.parse(execution.output) as unknown } : {}),
        ...(execution.error ? { error: execution.error } : {}),
        ...(execution.cause ? { cause: execution.cause } : {}),
        path: [],
      };
    }
    if (options.signal?.aborted) throw new Error('stopped following');
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 5_000));
  }
}

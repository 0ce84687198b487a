/**
 * `fledge abort | promote | pause | resume | approve | reject`: a request to a running rollout, applied
 * by its next check (docs/OPERATIONS.md). The rollout is named by an execution ARN, `<function>:<alias>`,
 * or `--input <file>`; one that has ended, is not waiting at a gate, or is not paused is refused (exit 2).
 */
import type { Command } from 'commander';
import {
  type AwsOptions,
  type ChangeOptions,
  type DeploymentFlags,
  type JsonOptions,
  withAws,
  withConfirmation,
  withDeployment,
  withOutput,
} from '../shared/options';

type Action = 'abort' | 'promote' | 'pause' | 'resume' | 'approve' | 'reject';

interface ActOptions extends JsonOptions, AwsOptions, ChangeOptions, DeploymentFlags {
  input?: string;
  reason?: string;
  skipAnalysis?: boolean;
}

/** What each action changes, for the confirmation. */
const CHANGES: Record<Action, string> = {
  abort: 'roll back',
  promote: 'promote now',
  pause: 'pause',
  resume: 'resume',
  approve: 'approve the open gate of',
  reject: 'reject, and so roll back,',
};

const NEEDS_REASON: ReadonlySet<Action> = new Set(['abort', 'promote', 'reject']);

export function define(command: Command): void {
  const action = command.name() as Action;
  command
    .argument('[rollout]', 'an execution ARN, or <function>:<alias> for a Lambda target')
    .usage('[rollout | --input <file>] [options]')
    .option('-i, --input <file>', 'the rollout input, to name its target (Route 53 targets)')
    .option(
      '--reason <text>',
      NEEDS_REASON.has(action) ? 'why (required: it goes in the outcome and the events)' : 'why',
    );
  if (action === 'promote') {
    command.option('--skip-analysis', 'promote even if the check fails: the emergency path');
  }
  withOutput(withConfirmation(withAws(withDeployment(command)))).action((rollout, options) =>
    act(action, rollout as string | undefined, options as ActOptions),
  );
}

async function act(action: Action, rollout: string | undefined, options: ActOptions): Promise<void> {
  const { UsageError } = await import('../shared/exit');
  if (NEEDS_REASON.has(action) && !options.reason?.trim()) {
    throw new UsageError(`fledge ${action} needs --reason "…": it is recorded in the outcome and the events`);
  }
  if (!rollout && !options.input)
    throw new UsageError('name the rollout: an execution ARN, <function>:<alias>, or --input <file>');
  const [{ checkAwsSetup, callerAccount }, { confirmTrafficChange }, { readInput }] = await Promise.all([
    import('../shared/aws-setup'),
    import('../shared/confirm'),
    import('../shared/input'),
  ]);
  const operate = await import('../operator/operate');
  const ref = { rollout, ...(options.input ? { input: readInput(options.input) } : {}) };
  // What is wrong with the name comes before a missing region or table.
  operate.checkRolloutRef(ref);
  const setup = await checkAwsSetup(options.region);
  const { operatorContext } = await import('../operator/context');
  const context = await operatorContext(options);
  const found = await operate.findRollout(ref, context.records, context.executions);
  // A request that would be refused is refused before anyone is asked to confirm it.
  operate.checkApplies(action, found);
  await confirmTrafficChange(
    { action: `${CHANGES[action]} the rollout of ${found.record.label}`, yes: options.yes === true },
    setup,
  );
  const done = await operate.act(action, found, context.records, {
    reason: options.reason?.trim() || `${action} by hand`,
    by: await operate.whoAmI(callerAccount),
    skipAnalysis: options.skipAnalysis,
  });
  if (options.json) console.log(JSON.stringify({ outcome: 'requested', ...done }));
  else console.log(done.message);
}

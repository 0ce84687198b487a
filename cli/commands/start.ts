/**
 * `fledge start --input f.json [--wait]` and `fledge retry <rollout>`: start an execution of the deployed
 * state machine, after checking the input here (the schema, then a read-only look at the target). With
 * `--wait`, follow it with `fledge run`'s progress lines and exit as `run` does (0 promoted, 1 rolled
 * back or failed, 2 refused). `retry` starts the last rollout of a target again, with the input it had.
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

interface StartOptions extends JsonOptions, AwsOptions, ChangeOptions, DeploymentFlags {
  input?: string;
  wait?: boolean;
}

export function define(command: Command): void {
  const retry = command.name() === 'retry';
  if (retry) {
    command
      .argument('[rollout]', 'an execution ARN, or <function>:<alias> for a Lambda target')
      .usage('[rollout | --input <file>] [options]')
      .option('-i, --input <file>', 'a rollout input, to name its target (Route 53 targets)');
  } else {
    command
      .usage('--input <file> [options]')
      .requiredOption('-i, --input <file>', 'rollout input JSON (see docs/INPUT.md), or - for stdin');
  }
  command.option('--wait', 'follow the execution until it ends, printing its progress');
  withOutput(withConfirmation(withAws(withDeployment(command)))).action(async (...args: unknown[]) => {
    const options = args[retry ? 1 : 0] as StartOptions;
    await start(options, retry ? { rollout: args[0] as string | undefined } : undefined);
  });
}

async function start(options: StartOptions, retry?: { rollout: string | undefined }): Promise<void> {
  const [
    { UsageError, RefusedError },
    { checkAwsSetup },
    { confirmTrafficChange },
    { readInput, describeInputTarget },
  ] = await Promise.all([
    import('../shared/exit'),
    import('../shared/aws-setup'),
    import('../shared/confirm'),
    import('../shared/input'),
  ]);
  const ref = retry && {
    rollout: retry.rollout,
    ...(options.input ? { input: readInput(options.input) } : {}),
  };
  if (ref) {
    if (!ref.rollout && !options.input)
      throw new UsageError(
        'name the rollout to retry: an execution ARN, <function>:<alias>, or --input <file>',
      );
    // What is wrong with the name comes before a missing region or table.
    (await import('../operator/operate')).checkRolloutRef(ref);
  }
  const setup = await checkAwsSetup(options.region);
  const [{ operatorContext }, { requireStateMachine, consoleLink }, starting, { wireDeps }] =
    await Promise.all([
      import('../operator/context'),
      import('../operator/deployment'),
      import('../operator/start'),
      import('../shared/wiring'),
    ]);
  const context = await operatorContext(options);
  let input: unknown;
  if (ref) {
    const { findRollout } = await import('../operator/operate');
    const { isActive } = await import('../../shared/core/record');
    const found = await findRollout(ref, context.records, context.executions);
    if (isActive(found.record.status)) {
      throw new RefusedError(
        `${found.record.label}: a rollout is still in progress (${found.record.status}); wait for it, or abort it`,
      );
    }
    if (!found.record.input)
      throw new RefusedError(`${found.record.label}: its record keeps no input to start again`);
    // Each record of a release keeps its own target: retrying one would release that target alone. The
    // release's first record keeps the release's input (since this version), which starts all of them.
    const release = found.record.release;
    if (release && release.input === undefined)
      throw new RefusedError(
        `${found.record.label} was part of a release (${release.name ?? found.record.owner}) whose record keeps no release input: start the release again with \`fledge start --input <file>\`, which moves all its targets. Nothing was started`,
      );
    input = release ? release.input : found.record.input;
  } else {
    input = readInput(options.input ?? '-');
  }
  const stateMachineArn = requireStateMachine(context.deployment);
  const sides = await starting.validateInput(input, wireDeps());
  await confirmTrafficChange(
    { action: `start a rollout of ${describeInputTarget(input)} (${sides})`, yes: options.yes === true },
    setup,
  );
  const { executionArn } = await starting.startExecution(
    stateMachineArn,
    input,
    undefined,
    context.deployment.from,
  );
  if (!options.wait) {
    if (options.json)
      console.log(JSON.stringify({ outcome: 'started', executionArn, console: consoleLink(executionArn) }));
    else console.log(`started ${executionArn}\n  ${consoleLink(executionArn)}`);
    return;
  }
  const [{ printProgress, toReport, exitCode }, { trapFollowing }] = await Promise.all([
    import('../reports/progress'),
    import('../local/signals'),
  ]);
  // The flags that found the deployment, for the commands the interruption suggests.
  const deployment = options.stage
    ? ` --stage ${options.stage}`
    : options.table
      ? ` --table ${options.table}`
      : '';
  const release = trapFollowing(executionArn, deployment, options.json === true);
  console.error(`started ${executionArn}\n  ${consoleLink(executionArn)}`);
  // A deployed execution runs on the wall clock, so its next check is due from now.
  const progress = printProgress(options.json, { now: () => new Date() });
  const result = await starting.follow(executionArn, progress).finally(release);
  const report = toReport(result);
  if (options.json) console.log(JSON.stringify(report));
  else console.log(`${report.outcome.toUpperCase()}: ${report.reason}`);
  process.exitCode = exitCode(report);
}

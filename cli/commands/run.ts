/** `fledge run`: a rollout run in-process on the real state machine, against the configured endpoint. */
import { writeFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import type { Target } from '../../shared/core/schema';
import type { EventLog } from '../local/runner';
import { UsageError } from '../shared/exit';
import {
  type AwsOptions,
  type ChangeOptions,
  type JsonOptions,
  parseDate,
  withAws,
  withConfirmation,
  withInput,
  withOutput,
} from '../shared/options';

interface RunOptions extends JsonOptions, AwsOptions, ChangeOptions {
  input: string;
  clock: 'real' | 'virtual';
  start?: Date;
  virtualClockOnAws?: boolean;
  publishEvents?: boolean;
  hook: string[];
  report?: string;
}

export function define(command: Command): void {
  withInput(command).usage('--input <file> [options]');
  command
    .addOption(
      new Option('--clock <kind>', 'real: waits take wall time; virtual: they take none (emulators only)')
        .choices(['real', 'virtual'])
        .default('real'),
    )
    .option('--start <iso8601>', 'with --clock virtual: the time the run starts at (default: now)', parseDate)
    .option(
      '--virtual-clock-on-aws',
      'allow --clock virtual against a real AWS account: every step passes in seconds, judged on metrics that do not exist yet',
    )
    .option(
      '--hook <function=module>',
      'serve hook <function> from a local module’s handler instead of Lambda Invoke (repeatable)',
      (value: string, all: string[]) => [...all, value],
      [],
    )
    .option(
      '--publish-events',
      'put lifecycle events on the account’s EventBridge bus (against a real account they stay off it)',
    )
    .option('--report <file>', 'write the HTML report of the run to <file> at the end');
  withOutput(withConfirmation(withAws(command))).action(run);
}

async function run(options: RunOptions): Promise<void> {
  const { readInput, describeInputTarget } = await import('../shared/input');
  const input = readInput(options.input);
  const virtual = options.clock === 'virtual';
  if (options.start && !virtual) throw new UsageError('--start needs --clock virtual');
  const { parseHookOptions, localHookInvoker, servesHook } = await import('../local/hooks');
  const hooks = parseHookOptions(options.hook);

  const { checkAwsSetup } = await import('../shared/aws-setup');
  const setup = await checkAwsSetup(options.region);
  if (virtual && !setup.endpoint.emulator && !options.virtualClockOnAws) {
    throw new UsageError(
      `--clock virtual against ${setup.endpoint.name} would move live traffic through every step in seconds, judged on metrics that do not exist yet. Use it with an emulator (AWS_ENDPOINT_URL=http://127.0.0.1:5000), or add --virtual-clock-on-aws if that is what you mean`,
    );
  }
  const { checkRolloutTable, defaultDeps } = await import('../shared/wiring');
  await checkRolloutTable(defaultDeps());
  const { confirmTrafficChange } = await import('../shared/confirm');
  await confirmTrafficChange(
    {
      action: `run a rollout of ${describeInputTarget(input)}${virtual ? ' on a virtual clock' : ''}`,
      yes: options.yes === true,
    },
    setup,
  );

  const [
    { VirtualClock },
    { invokeLambda, runLocal },
    report,
    { trapSignals, freezableRouters },
    { holdLease },
  ] = await Promise.all([
    import('../../shared/core/clock'),
    import('../local/runner'),
    import('../reports/progress'),
    import('../local/signals'),
    import('../local/lease'),
  ]);
  const virtualClock = virtual ? new VirtualClock(options.start ?? new Date()) : undefined;
  // A local run's events carry a made-up execution id: against a real account they stay off its bus
  // unless asked for. An emulator gets them (tests read them from a queue).
  const withheld = { count: 0 };
  const publish = setup.endpoint.emulator || options.publishEvents === true;
  const wired = defaultDeps();
  let exitingNow = false;
  const routers = freezableRouters(wired.router, () => exitingNow);
  const deps = {
    ...wired,
    router: routers.router,
    // A hook served from a local module (--hook) need not exist in the account; one that does not, and is
    // not served, is refused with the way to serve it (moto, say, has no hook functions).
    hooks: async (ref: string) => {
      if (servesHook(hooks, ref)) return undefined;
      const problem = await wired.hooks(ref);
      return problem && `${problem}, and no --hook ${ref}=<module> serves it from a local module`;
    },
    ...(virtualClock ? { clock: virtualClock } : {}),
    ...(publish
      ? {}
      : {
          events: {
            publish: async () => {
              withheld.count += 1;
            },
          },
        }),
  };
  // The report's modules load only when a report is asked for.
  const reporting = options.report ? await import('../reports/html') : undefined;
  const recorder = reporting?.recordRun(deps.clock);
  // The target as Plan resolved it (the input may name it through an event): what a second signal reads.
  let planned: Target | undefined;
  const interruptions = trapSignals(`npx fledge recover --input ${options.input}`, {
    onExitNow: () => {
      exitingNow = true;
      return routers.settled();
    },
    readTarget: async () => {
      if (!planned) {
        return { summary: 'what it held before (the run had not planned: no traffic moved)', split: false };
      }
      return deps.router(planned).inspect();
    },
  });
  const lease = holdLease(deps.records, (reason) => interruptions.stop(reason));
  const progress = report.printProgress(options.json, { now: () => deps.clock.now() });
  const result = await runLocal({
    input,
    deps,
    virtualClock,
    signal: interruptions.signal,
    invoke: localHookInvoker(hooks, invokeLambda),
    onEvent: (event) => {
      planned = plannedTarget(event) ?? planned;
      lease.observe(event);
      progress(event);
      recorder?.onEvent(event);
    },
  }).finally(() => {
    lease.stop();
    interruptions.release();
  });
  if (options.report && reporting && recorder) {
    writeFileSync(options.report, await reporting.renderReport(recorder.timeline(result.executionArn)));
    console.error(`fledge: report written to ${options.report}`);
  }
  if (withheld.count > 0) {
    console.error(
      `fledge: ${withheld.count} lifecycle event(s) of this local run were not put on the account's EventBridge bus (--publish-events puts them there, marked local)`,
    );
  }
  const outcome = report.toReport(result);
  const provisioned = options.json ? undefined : report.provisionedLine(outcome);
  interruptions.result(
    options.json
      ? JSON.stringify(outcome)
      : [`${outcome.outcome.toUpperCase()}: ${outcome.reason}`, ...(provisioned ? [provisioned] : [])].join(
          '\n',
        ),
  );
  process.exitCode = report.exitCode(outcome);
}

/** The target of the rollout an event carries, once Plan has resolved it. */
function plannedTarget(event: EventLog): Target | undefined {
  if (event.type !== 'StateExited') return undefined;
  return (event.state.output as { rollout?: { target?: Target } } | undefined)?.rollout?.target;
}

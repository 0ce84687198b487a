import { readFileSync, writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { VirtualClock } from '../shared/core/clock';
import { runLocal } from './local-runner';
import { recoverTarget } from './recover';
import { replay } from './replay';
import { exitCode, printProgress, toReport } from './report';
import { trapSignals } from './signals';
import { defaultDeps } from './wiring';

const program = new Command()
  .name('fledge')
  .description('Canary releases for Lambda aliases, run by the fledge state machine.')
  .version('0.1.0')
  .showHelpAfterError();

program
  .command('run')
  .description('Run a rollout in-process on the real state machine, against the configured AWS endpoint.')
  .requiredOption('-i, --input <file>', 'rollout input JSON (see docs/INPUT.md), or - for stdin')
  .addOption(
    new Option('--clock <kind>', 'real: waits take wall time; virtual: they take none')
      .choices(['real', 'virtual'])
      .default('real'),
  )
  .option('--start <iso8601>', 'with --clock virtual: the time the run starts at (default: now)', parseDate)
  .option('--json', 'print the result as one JSON object on the last line')
  .option('--verbose', 'print the functions’ structured logs')
  .option('--report <file>', 'write the HTML report of the run to <file> at the end')
  .action(
    async (options: {
      input: string;
      clock: string;
      start?: Date;
      json?: boolean;
      verbose?: boolean;
      report?: string;
    }) => {
      let input: unknown;
      try {
        input = JSON.parse(
          options.input === '-' ? readFileSync(0, 'utf8') : readFileSync(options.input, 'utf8'),
        );
      } catch (error) {
        return fail(options.json, `cannot read the input ${options.input}: ${(error as Error).message}`);
      }
      if (options.start && options.clock !== 'virtual')
        return fail(options.json, '--start needs --clock virtual');
      const virtualClock =
        options.clock === 'virtual' ? new VirtualClock(options.start ?? new Date()) : undefined;
      const deps = virtualClock ? { ...defaultDeps(), clock: virtualClock } : defaultDeps();
      // The report's modules load only when a report is asked for.
      const reporting = options.report ? await import('./report-html') : undefined;
      const recorder = reporting?.recordRun(deps.clock);
      const interruptions = trapSignals(`npx fledge recover --input ${options.input}`);
      const progress = printProgress(options.json);
      const result = await runLocal({
        input,
        deps,
        virtualClock,
        signal: interruptions.signal,
        onEvent: (event) => {
          interruptions.observe(event);
          progress(event);
          recorder?.onEvent(event);
        },
      }).finally(() => interruptions.release());
      if (options.report && reporting && recorder) {
        writeFileSync(options.report, await reporting.renderReport(recorder.timeline(result.executionArn)));
        console.error(`fledge: report written to ${options.report}`);
      }
      const report = toReport(result);
      if (options.json) {
        console.log(JSON.stringify(report));
      } else {
        console.log(`${report.outcome.toUpperCase()}: ${report.reason}`);
      }
      process.exitCode = exitCode(report);
    },
  );

program
  .command('replay')
  .description("Replay a rollout's decisions over past CloudWatch metrics. Changes no traffic.")
  .requiredOption('-i, --input <file>', 'rollout input JSON, as for run, or - for stdin')
  .requiredOption('--start <iso8601>', 'when the rollout started (its first weight change)', parseDate)
  .option('--baseline <version>', 'the baseline version (default: read from the alias if it was rolled back)')
  .option('--json', 'print the result as one JSON object on the last line')
  .action(async (options: { input: string; start: Date; baseline?: string; json?: boolean }) => {
    const input = readInput(options.input, options.json);
    if (input === undefined) return;
    const target = (input as { target?: { type?: string } }).target;
    if (!target || typeof target !== 'object') return fail(options.json, 'the input has no target');
    try {
      const report = await replay({
        input: input as Parameters<typeof replay>[0]['input'],
        start: options.start,
        baseline: options.baseline,
        onEvent: printProgress(options.json),
      });
      if (options.json) {
        console.log(JSON.stringify(report));
      } else {
        const when = report.decidedAt ? ` at ${report.decidedAt}` : '';
        console.log(
          `would have ${report.outcome === 'promoted' ? 'PROMOTED' : report.outcome.toUpperCase()}${when}: ${report.reason}`,
        );
      }
      // A replay that ran exits 0 whatever it decided; only bad input is an error.
      process.exitCode = report.outcome === 'rejected' ? 2 : 0;
    } catch (error) {
      if ((error as Error).name === 'InvalidInputError') return fail(options.json, (error as Error).message);
      throw error;
    }
  });

program
  .command('report')
  .description('Write the HTML report of a rollout: charts, every check, the outcome. Changes nothing.')
  .option('--execution <arn>', 'a deployed execution of the fledge state machine (reads its history)')
  .option('--history <file>', 'an execution history saved with `aws stepfunctions get-execution-history`')
  .option('-o, --output <file>', 'where to write the report (default: fledge-report-<execution>.html)')
  .action(async (options: { execution?: string; history?: string; output?: string }) => {
    const { UsageError, writeReport } = await import('./report-command');
    try {
      console.log(`report written to ${await writeReport(options)}`);
    } catch (error) {
      console.error(`fledge: ${(error as Error).message}`);
      process.exitCode = error instanceof UsageError ? 2 : 1;
    }
  });

program
  .command('recover')
  .description(
    'Restore the baseline of a target left half-shifted (a stopped or killed rollout), from its rollout record, or from the live split when it is clear-cut.',
  )
  .requiredOption('-i, --input <file>', 'the rollout input (only its target is read), or - for stdin')
  .option('--json', 'print the result as one JSON object on the last line')
  .action(async (options: { input: string; json?: boolean }) => {
    const input = readInput(options.input, options.json);
    if (input === undefined) return;
    try {
      const report = await recoverTarget(input, defaultDeps());
      if (options.json) console.log(JSON.stringify(report));
      else console.log(`${report.outcome.toUpperCase()}: ${report.reason}`);
      process.exitCode =
        report.outcome === 'refused' ? 2 : ['failed', 'conflict'].includes(report.outcome) ? 1 : 0;
    } catch (error) {
      if ((error as Error).name === 'InvalidInputError') return fail(options.json, (error as Error).message);
      throw error;
    }
  });

function readInput(path: string, json: boolean | undefined): unknown {
  try {
    return JSON.parse(path === '-' ? readFileSync(0, 'utf8') : readFileSync(path, 'utf8'));
  } catch (error) {
    fail(json, `cannot read the input ${path}: ${(error as Error).message}`);
    return undefined;
  }
}

function parseDate(value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError(`'${value}' is not an ISO 8601 time`);
  return date;
}

function fail(json: boolean | undefined, reason: string): void {
  if (json) console.log(JSON.stringify({ outcome: 'rejected', reason }));
  else console.error(`fledge: ${reason}`);
  process.exitCode = 2;
}

await program.parseAsync(process.argv);

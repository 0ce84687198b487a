import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { VirtualClock } from '../shared/clock';
import { defaultDeps } from '../shared/deps';
import { runLocal } from './local-runner';
import { describeEvent, exitCode, toReport } from './report';

const program = new Command()
  .name('fledge')
  .description('Canary releases for Lambda aliases, run by the fledge state machine.')
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
  .action(
    async (options: { input: string; clock: string; start?: Date; json?: boolean; verbose?: boolean }) => {
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
      const result = await runLocal({
        input,
        deps,
        virtualClock,
        onEvent: (event) => {
          if (options.json) return;
          const line = describeEvent(event);
          if (line) console.log(line);
        },
      });
      const report = toReport(result);
      if (options.json) {
        console.log(JSON.stringify(report));
      } else {
        console.log(`${report.outcome.toUpperCase()}: ${report.reason}`);
      }
      process.exitCode = exitCode(report);
    },
  );

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

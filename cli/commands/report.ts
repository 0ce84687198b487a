/** `fledge report`: the HTML report of a deployed execution, or of a saved execution history. */
import type { Command } from 'commander';
import { type JsonOptions, withOutput } from '../options';

interface ReportOptions extends JsonOptions {
  execution?: string;
  history?: string;
  output?: string;
}

export function define(command: Command): void {
  command
    .usage('--execution <arn> | --history <file> [options]')
    .option('--execution <arn>', 'a deployed execution of the fledge state machine (reads its history)')
    .option('--history <file>', 'an execution history saved with `aws stepfunctions get-execution-history`')
    .option('-o, --output <file>', 'where to write the report (default: fledge-report-<execution>.html)');
  withOutput(command).action(async (options: ReportOptions) => {
    const { writeReport } = await import('../report-command');
    const path = await writeReport(options);
    if (options.json) console.log(JSON.stringify({ outcome: 'written', path }));
    else console.log(`report written to ${path}`);
  });
}

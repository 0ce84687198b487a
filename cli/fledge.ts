/**
 * The fledge command line: a table of commands, each in its own module under cli/commands/, imported
 * only when that command runs or shows its help. `fledge --version` and `fledge --help` load neither the
 * AWS SDK nor the interpreter (bin/cli-bundle.js keeps each command's code in its own chunk).
 *
 * To add a command: write cli/commands/<name>.ts exporting `define(command)` (a CommandModule), which
 * gives the named, described command its options and action; then add its line to COMMANDS. The
 * module's static imports stay light (commander, node:*, cli/shared/options, cli/shared/exit); its action imports the
 * rest. An action prints its result and sets process.exitCode; to refuse or fail it throws, and
 * reportError (cli/shared/exit.ts) turns that into exit 2 or 1 and, with --json, a last JSON line.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { reportError, UsageError } from './shared/exit';

/** What a command's module exports. */
export interface CommandModule {
  define(command: Command): void;
}

interface CommandEntry {
  name: string;
  /** The line `fledge --help` shows. */
  summary: string;
  load: () => Promise<CommandModule>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'run',
    summary: 'Run a rollout in-process on the real state machine, against the configured AWS endpoint.',
    load: () => import('./commands/run'),
  },
  {
    name: 'replay',
    summary: "Replay a rollout's decisions over past CloudWatch metrics. Changes no traffic, runs no hooks.",
    load: () => import('./commands/replay'),
  },
  {
    name: 'report',
    summary: 'Write the HTML report of a rollout: charts, every check, the outcome. Changes nothing.',
    load: () => import('./commands/report'),
  },
  {
    name: 'recover',
    summary: 'Restore the baseline of a target left half-shifted (a stopped or killed rollout).',
    load: () => import('./commands/recover'),
  },
  {
    name: 'start',
    summary: 'Start a rollout on the deployed state machine; --wait follows it to its end.',
    load: () => import('./commands/start'),
  },
  {
    name: 'status',
    summary: 'Show where a rollout is: weight, step, last check, gate or pause.',
    load: () => import('./commands/status'),
  },
  { name: 'list', summary: 'List the rollouts in progress.', load: () => import('./commands/status') },
  {
    name: 'pause',
    summary: 'Hold a rollout at its weight; checks go on and a failing one still rolls back.',
    load: () => import('./commands/act'),
  },
  { name: 'resume', summary: 'Let a paused rollout go on.', load: () => import('./commands/act') },
  {
    name: 'approve',
    summary: 'Let a rollout waiting at an approval gate go on.',
    load: () => import('./commands/act'),
  },
  {
    name: 'reject',
    summary: 'Roll back a rollout waiting at an approval gate.',
    load: () => import('./commands/act'),
  },
  {
    name: 'promote',
    summary: 'Promote now, skipping the remaining steps (--skip-analysis: even if the check fails).',
    load: () => import('./commands/act'),
  },
  { name: 'abort', summary: 'Roll a rollout back at its next check.', load: () => import('./commands/act') },
  {
    name: 'retry',
    summary: 'Start the last rollout of a target again, with the input it had.',
    load: () => import('./commands/start'),
  },
];

const argv = process.argv.slice(2);
const first = argv.find((arg) => !arg.startsWith('-'));
// `fledge help run` shows run's help, so it needs run's module too.
const wanted = first === 'help' ? argv[argv.indexOf('help') + 1] : first;
const invoked = COMMANDS.find((entry) => entry.name === wanted);

let helpOnError = '';
const program = new Command()
  .name('fledge')
  .description('Canary releases for Lambda aliases and Route 53 weighted records, run by a state machine.')
  .version(version(), '-V, --version')
  .exitOverride()
  // Errors are printed by reportError, in one line or as JSON; commander's own output would be a second.
  .configureOutput({
    writeErr: (text) => {
      helpOnError += text;
    },
    outputError: () => undefined,
  });

let usage = 'fledge <command> [options]';
let help = 'fledge --help lists the commands';
for (const entry of COMMANDS) {
  const command = program.command(entry.name).description(entry.summary);
  if (entry === invoked) {
    (await entry.load()).define(command);
    usage = `fledge ${entry.name} ${command.usage()}`;
    help = `fledge ${entry.name} --help lists the options`;
  }
}

const out = { json: argv.includes('--json'), verbose: argv.includes('--verbose'), usage, help };
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (!(error instanceof CommanderError)) reportError(error, out);
  else if (error.exitCode === 0)
    process.exitCode = 0; // --help, --version
  else if (error.code === 'commander.help') {
    // No command given: the help is the answer, but the call was still wrong.
    if (!out.json) process.stderr.write(helpOnError);
    reportError(new UsageError('no command given'), { ...out, usage: 'fledge <command> [options]' });
  } else {
    // One line: commander puts its "(Did you mean run?)" on a line of its own.
    reportError(new UsageError(error.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ')), out);
  }
}

function version(): string {
  return (
    JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
}

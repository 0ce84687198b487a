/**
 * `npm run bench:cli`: how long `fledge` takes to start, against a bare `node -e ''` in the same run.
 * Every command runs `--runs` times (default 21), in turns, so a change in the machine's load touches
 * them all alike; the table gives each one's median and its ratio to node's. The goal (issue 10): at most
 * 3x for commands that do not run the interpreter. Prints a Markdown table for docs/DEVELOPING.md.
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 21;
const node = process.execPath;

interface Case {
  label: string;
  args: string[];
  env?: Record<string, string>;
}

const CASES: Case[] = [
  { label: "`node -e ''` (the yardstick)", args: ['-e', ''] },
  { label: '`fledge --version`', args: ['bin/fledge.js', '--version'] },
  { label: '`fledge --help`', args: ['bin/fledge.js', '--help'] },
  { label: '`fledge run --help`', args: ['bin/fledge.js', 'run', '--help'] },
  {
    label: '`fledge --version` compiled by tsx (FLEDGE_CLI_BUNDLE=0, the fallback)',
    args: ['bin/fledge.js', '--version'],
    env: { FLEDGE_CLI_BUNDLE: '0' },
  },
];

function time(c: Case): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(node, c.args, { env: { ...process.env, ...c.env }, stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`${c.label} exited ${result.status}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

// A first run builds the bundle if a source changed; it is not what a user waits for each time.
for (const c of CASES) time(c);
const samples = CASES.map(() => [] as number[]);
const load = loadavg()[0] ?? 0;
for (let i = 0; i < runs; i++) {
  CASES.forEach((c, k) => {
    samples[k]?.push(time(c));
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
const medians = samples.map(median);
const yardstick = medians[0] ?? 1;

console.log(
  `Start-up, median of ${runs} runs each, in turns; Node ${process.version}, ${process.platform}/${process.arch}, load average ${load.toFixed(1)} at the start\n`,
);
console.log("| command | median | × `node -e ''` |");
console.log('| --- | ---: | ---: |');
CASES.forEach((c, k) => {
  const ms = medians[k] ?? 0;
  console.log(`| ${c.label} | ${ms.toFixed(0)} ms | ${(ms / yardstick).toFixed(1)} |`);
});

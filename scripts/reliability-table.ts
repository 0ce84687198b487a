/**
 * Prints the fault-injection matrix counts (results/faults-*.json, written by `npm run test:faults`) as
 * the Markdown table docs/RELIABILITY.md shows.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { Tally } from '../test/faults/matrix';

// Every target's file the fault suites wrote (test/faults/*.test.ts), in a stable order.
const rows: Tally[] = (existsSync('results') ? readdirSync('results') : [])
  .filter((name) => /^faults-.+\.json$/.test(name))
  .sort()
  .flatMap((name) => JSON.parse(readFileSync(`results/${name}`, 'utf8')) as Tally[]);
if (rows.length === 0) {
  console.error('no results/faults-*.json: run `npm run test:faults` first');
  process.exit(1);
}
const header = [
  'target',
  'fault',
  'mode',
  'runs (of a regression)',
  'promoted',
  'rolled back',
  'refused at Plan',
  'RollbackFailed',
  'restored by recovery',
  'left split',
  'left held',
  'false conflicts',
  'healthy rolled back by one transient fault',
];
const line = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;
console.log(line(header));
console.log(line(header.map(() => '---')));
for (const r of rows) {
  console.log(
    line([
      r.target,
      r.fault,
      r.mode,
      `${r.cases} (${r.faulty ?? '?'})`,
      r.promoted,
      r.rolledBack,
      r.rejected,
      r.rollbackFailed,
      r.recovered,
      r.splitLeft,
      r.heldLeft,
      r.falseConflicts,
      r.mode === 'once' && r.fault !== 'denied' ? r.healthyRolledBackBySingleTransientFault : '-',
    ]),
  );
}
const total = (key: keyof Tally) => rows.reduce((sum, r) => sum + Number(r[key]), 0);
console.log(
  `\n${total('cases')} runs; left split ${total('splitLeft')}, left held ${total('heldLeft')}, false conflicts ${total('falseConflicts')}, healthy releases rolled back by one transient fault ${rows
    .filter((r) => r.mode === 'once' && r.fault !== 'denied')
    .reduce((sum, r) => sum + r.healthyRolledBackBySingleTransientFault, 0)}`,
);

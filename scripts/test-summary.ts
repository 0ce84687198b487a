/**
 * Prints the closing `N passed, N failed` line from vitest's JSON report. A gate that failed before
 * vitest ran (typecheck, lint) counts as one failure, and a missing report as no test run.
 */
import { existsSync, readFileSync } from 'node:fs';

const [reportPath = 'results/vitest.json', gateStatus = '0', startedAt = '0'] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(reportPath) && Number(readFileSync(reportPath).length) > 0) {
  const stat = JSON.parse(readFileSync(reportPath, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
    startTime: number;
  };
  if (stat.startTime >= Number(startedAt)) {
    passed = stat.numPassedTests;
    failed = stat.numFailedTests;
    skipped = stat.numPendingTests + stat.numTodoTests;
  }
}
if (gateStatus !== '0' && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;

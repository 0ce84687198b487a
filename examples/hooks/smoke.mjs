/**
 * A beforeAllowTraffic hook, as a Lambda function would be written (docs/TRIGGERS.md#hooks). Deployed,
 * it is the function `fledge-hook-smoke`; locally, `fledge run --hook fledge-hook-smoke=examples/hooks/smoke.mjs`
 * calls this handler in-process instead of Lambda Invoke (which moto runs only with Docker).
 *
 * It passes by returning anything but { status: 'Failed' }, and fails by returning that or by throwing.
 * Set SMOKE_FAIL=1 to see a release stopped before any traffic moves.
 */
export async function handler(event) {
  console.error(
    `smoke: ${event.hook} for ${event.target.functionName}:${event.target.alias}, version ${event.canary} (baseline ${event.baseline})`,
  );
  // A real smoke test would invoke `${event.target.functionName}:${event.canary}` and check its answer.
  if (process.env.SMOKE_FAIL === '1') return { status: 'Failed', reason: 'SMOKE_FAIL=1' };
  return { status: 'Succeeded' };
}

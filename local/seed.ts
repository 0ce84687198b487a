/**
 * `npx tsx local/seed.ts`: something to try fledge on in your own moto (local/moto_server.py) or another
 * emulator named by AWS_ENDPOINT_URL. Creates function `checkout` with versions 1-3 behind alias `live`
 * (on version 1), and three hours of per-minute Lambda metrics up to now, as Lambda publishes them for a
 * weighted alias: version 1 at 900 requests a minute and 0.5% errors, version 2 at 100 and none, version
 * 3 at 100 and 5%. Then prints the commands that release version 3 (rolled back) and version 2 through a
 * local hook (stopped by it, then promoted), and makes the rollout table `fledge-local` that the operator
 * commands (`fledge status`, `pause`, `abort`, …) read once FLEDGE_TABLE names it.
 */
import {
  CloudWatchClient,
  GetMetricStatisticsCommand,
  type MetricDatum,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { LambdaClient, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { floorToMinute, MINUTE_MS } from '../shared/core/clock';
import { createFunctionWithAlias, createRolloutTable } from './fixtures';

const FUNCTION = 'checkout';
const TABLE = 'fledge-local';
const HOURS = 3;
// CloudWatch takes 1,000 data points per PutMetricData; moto fails above about 50.
const PUT_BATCH = 20;
// Per ExecutedVersion, and (key '') for the alias as a whole, which Plan reads for the last hour.
const TRAFFIC: Record<string, { requests: number; errors: number }> = {
  '': { requests: 1000, errors: 5 },
  '1': { requests: 900, errors: 4 },
  '2': { requests: 100, errors: 0 },
  '3': { requests: 100, errors: 5 },
};

const endpoint = process.env.AWS_ENDPOINT_URL;
if (!endpoint) {
  console.error('seed: set AWS_ENDPOINT_URL to your emulator first (e.g. http://127.0.0.1:5000)');
  process.exit(2);
}

// As bin/fledge.js does: on Node 20 the SDK warns on its first client that its 2027 releases need Node 22.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

try {
  await createFunctionWithAlias(FUNCTION, 'live', 3);
  console.log(`created function ${FUNCTION} (versions 1-3, alias live → 1) on ${endpoint}`);
} catch (error) {
  // The role (IAM) or the function (Lambda) already exists: a second seed.
  if (!['EntityAlreadyExistsException', 'ResourceConflictException'].includes((error as Error).name))
    throw error;
  // A second seed finds them there, the alias wherever the last try left it (version 2 once promoted,
  // on which the printed commands are refused): put it back where the commands start from.
  const lambda = new LambdaClient({});
  await lambda.send(
    new UpdateAliasCommand({ FunctionName: FUNCTION, Name: 'live', FunctionVersion: '1', RoutingConfig: {} }),
  );
  lambda.destroy();
  console.log(`function ${FUNCTION} was there: alias live set back to version 1, all traffic`);
}

try {
  await createRolloutTable(TABLE);
} catch (error) {
  if ((error as Error).name !== 'ResourceInUseException') throw error;
}

const end = floorToMinute(new Date());
const start = new Date(end.getTime() - HOURS * 60 * MINUTE_MS);
const cloudWatch = new CloudWatchClient({});
// CloudWatch adds data points of the same minute together and deletes none: a minute a previous seed
// published is left as it is, or a second seed would double its traffic (Plan's forecast reads it).
const published = await minutesPublished(start, end);
const data: MetricDatum[] = [];
for (let at = start.getTime(); at < end.getTime(); at += MINUTE_MS) {
  if (published.has(at)) continue;
  for (const [version, { requests, errors }] of Object.entries(TRAFFIC)) {
    const Dimensions = [
      { Name: 'FunctionName', Value: FUNCTION },
      { Name: 'Resource', Value: `${FUNCTION}:live` },
      ...(version ? [{ Name: 'ExecutedVersion', Value: version }] : []),
    ];
    const Timestamp = new Date(at + 20_000);
    data.push(
      { MetricName: 'Invocations', Dimensions, Timestamp, Value: requests, Unit: 'Count' },
      { MetricName: 'Errors', Dimensions, Timestamp, Value: errors, Unit: 'Count' },
    );
  }
}
for (let i = 0; i < data.length; i += PUT_BATCH) {
  await cloudWatch.send(
    new PutMetricDataCommand({ Namespace: 'AWS/Lambda', MetricData: data.slice(i, i + PUT_BATCH) }),
  );
}
// Plan reads the hour before the start; the rollout reads the minutes after it.
const rolloutStart = new Date(start.getTime() + 60 * MINUTE_MS).toISOString();
const run = `npx fledge run --clock virtual --start ${rolloutStart}`;
const kept =
  published.size > 0 ? ` (${published.size} minute(s) a previous seed published were kept as they were)` : '';
console.log(`published ${HOURS} hours of metrics, ${start.toISOString()} to ${end.toISOString()}${kept}. Now try:

  ${run} --input examples/local/checkout-v3.json
  SMOKE_FAIL=1 ${run} --input examples/local/checkout-hook.json --hook fledge-hook-smoke=examples/hooks/smoke.mjs
  ${run} --input examples/local/checkout-hook.json --hook fledge-hook-smoke=examples/hooks/smoke.mjs

Version 3 fails 5% of its requests and is rolled back; the hook stops version 2 before any traffic moves
when SMOKE_FAIL=1, and lets it through otherwise; version 2 is then promoted.

The operator commands act on a run whose record is in a rollout table, such as ${TABLE} (made above).
With FLEDGE_TABLE=${TABLE} exported in two terminals, start a rollout on the real clock in one:

  npx fledge run --input examples/local/checkout-v3.json

and follow, pause or abort it from the other:

  npx fledge status checkout:live --watch
  npx fledge abort checkout:live --reason "trying it"`);

/** The minutes (epoch ms) in [start, end) that already hold the alias's Invocations. */
async function minutesPublished(from: Date, to: Date): Promise<Set<number>> {
  const result = await cloudWatch.send(
    new GetMetricStatisticsCommand({
      Namespace: 'AWS/Lambda',
      MetricName: 'Invocations',
      Dimensions: [
        { Name: 'FunctionName', Value: FUNCTION },
        { Name: 'Resource', Value: `${FUNCTION}:live` },
      ],
      StartTime: from,
      EndTime: to,
      Period: 60,
      Statistics: ['SampleCount'],
    }),
  );
  return new Set(
    (result.Datapoints ?? []).flatMap((d) => (d.Timestamp ? [floorToMinute(d.Timestamp).getTime()] : [])),
  );
}

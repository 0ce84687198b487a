/**
 * local/seed.ts, run twice as a newcomer does: the second run leaves the metrics the first published as
 * they were, so Plan's forecast reads the same traffic (CloudWatch sums data points of the same minute).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { useEndpoint } from '../../local/moto';
import { floorToMinute, MINUTE_MS } from '../../shared/core/clock';

const exec = promisify(execFile);
const seed = () =>
  exec(process.execPath, ['--import', 'tsx', 'local/seed.ts'], { env: process.env, timeout: 120_000 });

/** The alias's requests per minute over the last hour (moto also counts the per-version data points in). */
async function requestsPerMinute(): Promise<number[]> {
  const end = floorToMinute(new Date());
  const result = await new CloudWatchClient({}).send(
    new GetMetricStatisticsCommand({
      Namespace: 'AWS/Lambda',
      MetricName: 'Invocations',
      Dimensions: [
        { Name: 'FunctionName', Value: 'checkout' },
        { Name: 'Resource', Value: 'checkout:live' },
      ],
      StartTime: new Date(end.getTime() - 60 * MINUTE_MS),
      EndTime: new Date(end.getTime() - 5 * MINUTE_MS),
      Period: 60,
      Statistics: ['Sum'],
    }),
  );
  return (result.Datapoints ?? []).map((d) => d.Sum ?? 0);
}

beforeAll(() => {
  useEndpoint(inject('motoEndpoint'));
});

describe('local/seed.ts', () => {
  it('run twice, keeps each minute’s requests as the first run published them instead of adding the second run’s on top', async () => {
    await seed();
    const once = await requestsPerMinute();

    const again = await seed();
    const twice = await requestsPerMinute();

    expect(once.length).toBeGreaterThanOrEqual(50);
    expect(new Set(once).size).toBe(1); // the same traffic every minute
    expect(twice).toEqual(once);
    expect(again.stdout).toMatch(/minute\(s\) a previous seed published were kept as they were/);
  }, 240_000);
});

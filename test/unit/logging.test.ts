/**
 * What a person reading CloudWatch Logs sees: every line of a step carries the execution id, and the
 * Evaluate line carries the verdict with its evidence.
 */
import type { Context } from 'aws-lambda';
import { afterEach, expect, it, vi } from 'vitest';
import type { RolloutState } from '../../shared/steps/rollout';
import { FakeMetrics, FakeRouter, fakeDeps, steadyMinute, T0 } from '../support/fakes';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

it('logs the execution id and the evidence on the evaluate-metrics line', async () => {
  // Prepare: a logger at INFO (the suite runs silent), and a rollout 10 minutes into a bad canary.
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
  vi.resetModules();
  const { createHandler } = await import('../../functions/evaluate-metrics/handler');
  const { plan } = await import('../../shared/steps/plan');
  const router = new FakeRouter();
  const deps = fakeDeps(router, new FakeMetrics((at) => steadyMinute(at, 1000, 0.1, 0.05, 0.005)));
  const planned = (await plan(
    { target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' } },
    deps,
    { executionId: 'arn:aws:states:us-east-1:123456789012:execution:fledge:run-1' },
  )) as RolloutState;
  const rollout: RolloutState = {
    ...planned,
    progress: { ...planned.progress, stepStartedAt: T0.toISOString(), trafficStartedAt: T0.toISOString() },
  };
  await deps.clock.advance(600);
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });

  // Act
  await createHandler(() => deps)(
    { rollout, executionId: 'arn:aws:states:us-east-1:123456789012:execution:fledge:run-1' },
    {
      functionName: 'fledge-evaluate-metrics',
      awsRequestId: 'req-1',
      getRemainingTimeInMillis: () => 60_000,
    } as unknown as Context,
  );

  // Assess
  const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const done = logged.find((l) => l.message === 'evaluate-metrics done');
  expect(
    logged.every((l) => l.executionId === 'arn:aws:states:us-east-1:123456789012:execution:fledge:run-1'),
  ).toBe(true);
  expect(done).toMatchObject({
    action: 'rollback',
    verdict: {
      verdict: 'fail',
      evidence: { canary: { requests: 900, errors: 45 }, test: { threshold: 100 } },
    },
  });
});

it('logs the outcome and reason on the rollback line, as the dashboard reads them', async () => {
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
  vi.resetModules();
  const { createHandler } = await import('../../functions/rollback/handler');
  const { plan } = await import('../../shared/steps/plan');
  const router = new FakeRouter();
  const deps = fakeDeps(router, new FakeMetrics((at) => steadyMinute(at, 1000, 0.1, 0.01, 0.01)));
  const rollout = (await plan(
    { target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' } },
    deps,
    { executionId: 'arn:aws:states:us-east-1:123456789012:execution:fledge:run-2' },
  )) as RolloutState;
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });

  await createHandler(() => deps)(
    {
      rollout: { ...rollout, next: { action: 'rollback', reason: 'the canary fails more often' } },
      executionId: 'arn:aws:states:us-east-1:123456789012:execution:fledge:run-2',
    },
    {
      functionName: 'fledge-rollback',
      awsRequestId: 'req-2',
      getRemainingTimeInMillis: () => 60_000,
    } as unknown as Context,
  );

  const done = lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.message === 'rollback done');
  expect(done).toMatchObject({ action: 'rolled-back', reason: expect.stringContaining('fails more often') });
});

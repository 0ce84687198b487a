/**
 * Each check's figures as CloudWatch metrics: the evaluate-metrics handler, wired as deployed, prints
 * embedded-metric-format lines that CloudWatch turns into metrics per target. Promote, Rollback and the
 * recovery print the weight the target ended at, in the same form.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHandler } from '../../functions/evaluate-metrics/handler';
import { createHandler as promoteHandler } from '../../functions/promote/handler';
import { createHandler as recoverHandler } from '../../functions/recover/handler';
import { createHandler as rollbackHandler } from '../../functions/rollback/handler';
import { plan } from '../../shared/steps/plan';
import { type RolloutState, setWeight } from '../../shared/steps/rollout';
import { FakeMetrics, FakeRouter, fakeDeps, steadyMinute, T0 } from '../support/fakes';

const context = { functionName: 'fledge-evaluate-metrics', awsRequestId: 'req-1' } as Context;

interface EmfLine {
  _aws: {
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string }>;
    }>;
  };
  [key: string]: unknown;
}

/** The EMF lines printed on stdout while `act` runs. */
async function emfOf(act: () => Promise<unknown>): Promise<EmfLine[]> {
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await act();
  } finally {
    write.mockRestore();
  }
  return lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as EmfLine);
}

/** Runs Plan and SetWeight on fakes, moves the clock, and runs one check through the handler. */
async function check(canaryRate: number, requests = 1000) {
  const router = new FakeRouter();
  const metrics = new FakeMetrics((at) => steadyMinute(at, requests, router.weight / 100, canaryRate, 0.005));
  const deps = fakeDeps(router, metrics);
  const input = {
    target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
    strategy: 'Canary10Percent5Minutes',
  };
  const planned = (await plan(input, deps, {
    executionId: 'arn:aws:states:eu-west-1:1:execution:m:e1',
  })) as RolloutState;
  const rollout = await setWeight(planned, deps);
  await deps.clock.advance(5 * 60);
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  const handler = createHandler(() => deps, new Metrics({ namespace: 'fledge', serviceName: 'fledge' }));
  const state = (await handler({ rollout, executionId: rollout.executionId }, context)) as RolloutState;
  write.mockRestore();
  const emf = lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as EmfLine);
  return { state, emf };
}

afterEach(() => vi.restoreAllMocks());

describe('the metrics of a check', () => {
  it('publishes weight, both error rates and the evidence per target, in EMF', async () => {
    const { state, emf } = await check(0.05);

    const figures = emf.find((l) => 'CanaryWeight' in l);
    const evidence = state.lastVerdict?.evidence;

    expect(figures?._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'fledge',
        Dimensions: [['service', 'Target']],
        Metrics: [
          { Name: 'CanaryWeight', Unit: 'Percent' },
          { Name: 'CanaryErrorRate', Unit: 'Percent' },
          { Name: 'BaselineErrorRate', Unit: 'Percent' },
          { Name: 'Evidence', Unit: 'None' },
          { Name: 'EvidenceThreshold', Unit: 'None' },
        ],
      },
    ]);
    expect(figures).toMatchObject({
      service: 'fledge',
      Target: 'checkout:live',
      CanaryWeight: 10,
      CanaryErrorRate: (evidence?.canary.errorRate ?? Number.NaN) * 100,
      BaselineErrorRate: (evidence?.baseline.errorRate ?? Number.NaN) * 100,
      Evidence: evidence?.test?.eValue,
      EvidenceThreshold: 100,
      executionId: 'arn:aws:states:eu-west-1:1:execution:m:e1',
      verdict: 'fail',
      action: 'rollback',
    });
    expect(figures?.CanaryErrorRate).toBeCloseTo(5, 1);
  });

  it('counts the check under its verdict, in a line of its own', async () => {
    const { emf } = await check(0.005);

    const checks = emf.find((l) => 'Checks' in l);

    expect(checks?._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'fledge',
      Dimensions: [['service', 'Target', 'Verdict']],
      Metrics: [{ Name: 'Checks', Unit: 'Count' }],
    });
    // A healthy canary not yet shown safe is watched: inconclusive, never a pass.
    expect(checks).toMatchObject({ Target: 'checkout:live', Verdict: 'inconclusive', Checks: 1 });
    expect(emf).toHaveLength(2);
  });

  it('leaves out a rate it could not compute, rather than sending 0', async () => {
    const { state, emf } = await check(0.005, 4);

    const figures = emf.find((l) => 'CanaryWeight' in l);

    expect(state.lastVerdict?.evidence?.canary.requests).toBe(0);
    expect(figures).not.toHaveProperty('CanaryErrorRate');
    expect(figures).toHaveProperty('BaselineErrorRate');
    expect(figures).toMatchObject({ verdict: 'inconclusive' });
  });

  it('prints nothing when the handler is built without metrics, as the local runner builds it', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const router = new FakeRouter();
    const deps = fakeDeps(router, new FakeMetrics((at) => steadyMinute(at, 1000, 0.1, 0.005, 0.005)));
    const planned = (await plan(
      { target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' } },
      deps,
      { executionId: 'e' },
    )) as RolloutState;
    const rollout = await setWeight(planned, deps);

    await createHandler(() => deps)({ rollout, executionId: 'e' }, context);

    expect(lines.filter((l) => l.includes('"_aws"'))).toEqual([]);
  });
});

describe('the weight a rollout ends at', () => {
  /** A rollout at 10%, five minutes after its weight was set, with its deps. */
  async function atTenPercent() {
    const router = new FakeRouter();
    const deps = fakeDeps(router, new FakeMetrics(() => undefined));
    const planned = (await plan(
      {
        target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
        strategy: 'Canary10Percent5Minutes',
      },
      deps,
      { executionId: 'arn:aws:states:eu-west-1:1:execution:m:e1' },
    )) as RolloutState;
    const rollout = await setWeight(planned, deps);
    await deps.clock.advance(5 * 60 + 20);
    return { router, deps, rollout };
  }

  const weightLine = (weight: number, outcome: string) => ({
    _aws: {
      // The minute after the step's: the last check, in the step's minute, would hide a 0 under the
      // dashboard's per-minute maximum.
      Timestamp: T0.getTime() + 6 * 60_000,
      CloudWatchMetrics: [
        {
          Namespace: 'fledge',
          Dimensions: [['service', 'Target']],
          Metrics: [{ Name: 'CanaryWeight', Unit: 'Percent' }],
        },
      ],
    },
    service: 'fledge',
    Target: 'checkout:live',
    CanaryWeight: weight,
    executionId: 'arn:aws:states:eu-west-1:1:execution:m:e1',
    outcome,
  });

  // As serverless.yml sets it for every function: Powertools Metrics takes the check lines' service from it.
  beforeEach(() => {
    vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'fledge');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('publishes 100 once Promote has moved all traffic, so the dashboard does not keep the last check at 10%', async () => {
    // Prepare
    const { router, deps, rollout } = await atTenPercent();
    const handler = promoteHandler(() => deps, deps.clock);

    // Act
    const emf = await emfOf(() => handler({ rollout, executionId: rollout.executionId }, context));

    // Assess
    expect([router.version, router.weight]).toEqual(['2', 0]);
    expect(emf).toEqual([weightLine(100, 'promoted')]);
  });

  it('publishes 0 once Rollback has returned all traffic to the baseline', async () => {
    // Prepare
    const { router, deps, rollout } = await atTenPercent();
    const handler = rollbackHandler(() => deps, deps.clock);

    // Act
    const emf = await emfOf(() => handler({ rollout, executionId: rollout.executionId }, context));

    // Assess
    expect(router.weight).toBe(0);
    expect(emf).toEqual([weightLine(0, 'rolled-back')]);
  });

  it('publishes 0 for each target whose baseline recovery restored, and nothing for one it left alone', async () => {
    // Prepare
    const { router, deps, rollout } = await atTenPercent();
    deps.executions.states.set(rollout.executionId, { status: 'ABORTED', stopDate: T0.toISOString() });
    const handler = recoverHandler(() => deps, deps.clock);

    // Act
    const emf = await emfOf(() => handler({ 'detail-type': 'Scheduled Event' }, context));
    const again = await emfOf(() => handler({ 'detail-type': 'Scheduled Event' }, context));

    // Assess
    expect(router.weight).toBe(0);
    expect(emf).toEqual([weightLine(0, 'rolled-back')]);
    expect(again).toEqual([]);
  });

  it('publishes 0 for a target recovery restored even when the invocation fails for another', async () => {
    // Prepare: two rollouts at 10%, each on its own router, both stopped; one execution cannot be read.
    const routers = { checkout: new FakeRouter(), cart: new FakeRouter() };
    const deps = fakeDeps(routers.checkout, new FakeMetrics(() => undefined));
    deps.router = (target) => routers[(target as { functionName: 'checkout' | 'cart' }).functionName];
    for (const functionName of ['checkout', 'cart'] as const) {
      const planned = (await plan(
        {
          target: { type: 'lambda-alias', functionName, alias: 'live', version: '2' },
          strategy: 'Canary10Percent5Minutes',
        },
        deps,
        { executionId: `run-${functionName}` },
      )) as RolloutState;
      await setWeight(planned, deps);
      deps.executions.states.set(`run-${functionName}`, { status: 'ABORTED', stopDate: T0.toISOString() });
    }
    await deps.clock.advance(5 * 60 + 20);
    const describe = deps.executions.describe.bind(deps.executions);
    deps.executions.describe = async (arn) => {
      if (arn === 'run-cart')
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      return describe(arn);
    };
    const handler = recoverHandler(() => deps, deps.clock);

    // Act
    let failed: unknown;
    const emf = await emfOf(() =>
      handler({ 'detail-type': 'Scheduled Event' }, context).catch((error: unknown) => {
        failed = error;
      }),
    );

    // Assess
    expect(failed).toMatchObject({ name: 'RecoveryFailedError', message: expect.stringMatching(/cart/) });
    expect([routers.checkout.weight, routers.cart.weight]).toEqual([0, 10]);
    expect(emf).toEqual([{ ...weightLine(0, 'rolled-back'), executionId: 'run-checkout' }]);
  });

  it('prints nothing when the handlers are built without metrics, as the local runner builds them', async () => {
    // Prepare
    const promoted = await atTenPercent();
    const rolledBack = await atTenPercent();

    // Act
    const emf = await emfOf(async () => {
      await promoteHandler(() => promoted.deps)({ rollout: promoted.rollout, executionId: 'e' }, context);
      await rollbackHandler(() => rolledBack.deps)(
        { rollout: rolledBack.rollout, executionId: 'e' },
        context,
      );
    });

    // Assess
    expect(promoted.router.calls).toContain('promote');
    expect(rolledBack.router.calls).toContain('rollback');
    expect(emf).toEqual([]);
  });
});

describe('the metrics of a release', () => {
  /** A release of two functions at its first step, five minutes on, with its deps. */
  async function releaseAtFirstCheck() {
    const routers: Record<string, FakeRouter> = { checkout: new FakeRouter(), cart: new FakeRouter() };
    const metrics = new FakeMetrics((at) => steadyMinute(at, 1000, 0.1, 0.005, 0.005));
    const base = fakeDeps(routers.checkout as FakeRouter, metrics);
    const deps = {
      ...base,
      router: (target: { functionName?: string }) => routers[String(target.functionName)] as FakeRouter,
    } as typeof base;
    const planned = (await plan(
      {
        release: 'shop',
        targets: ['checkout', 'cart'].map((fn) => ({
          type: 'lambda-alias',
          functionName: fn,
          alias: 'live',
          version: '2',
        })),
        strategy: 'Canary10Percent5Minutes',
      },
      deps,
      { executionId: 'arn:aws:states:eu-west-1:1:execution:m:r1' },
    )) as RolloutState;
    const rollout = await setWeight(planned, deps);
    await deps.clock.advance(5 * 60);
    return { deps, rollout };
  }

  it('publishes a check line and a count per target, each with its own verdict', async () => {
    const { deps, rollout } = await releaseAtFirstCheck();
    const handler = createHandler(() => deps, new Metrics({ namespace: 'fledge', serviceName: 'fledge' }));

    const emf = await emfOf(() => handler({ rollout, executionId: rollout.executionId }, context));

    const figures = emf.filter((l) => 'CanaryWeight' in l);
    expect(figures.map((l) => l.Target)).toEqual(['checkout:live', 'cart:live']);
    for (const line of figures)
      expect(line).toMatchObject({
        CanaryWeight: 10,
        executionId: 'arn:aws:states:eu-west-1:1:execution:m:r1',
      });
    expect(emf.filter((l) => 'Checks' in l).map((l) => l.Target)).toEqual(['checkout:live', 'cart:live']);
  });

  it('publishes the weight every target of a release ended at', async () => {
    const { deps, rollout } = await releaseAtFirstCheck();

    const emf = await emfOf(() =>
      promoteHandler(() => deps, deps.clock)({ rollout, executionId: rollout.executionId }, context),
    );

    expect(emf.map((l) => [l.Target, l.CanaryWeight, l.outcome])).toEqual([
      ['checkout:live', 100, 'promoted'],
      ['cart:live', 100, 'promoted'],
    ]);
  });
});

/**
 * What the state machine retries: fledge's own steps are idempotent, so every transient failure and
 * timeout of theirs is run again. Real ASL, real handlers, fake ports.
 */
import { describe, expect, it } from 'vitest';
import { runLocal } from '../../cli/local/runner';
import { toReport } from '../../cli/reports/progress';
import { FakeMetrics, FakeRouter, fakeDeps, steadyMinute } from '../support/fakes';

function setup() {
  const router = new FakeRouter();
  const metrics = new FakeMetrics((at) =>
    steadyMinute(at, 1000, Math.max(router.weight, 10) / 100, 0.005, 0.005),
  );
  return { router, deps: fakeDeps(router, metrics) };
}

const lambdaError = (name: string) => Object.assign(new Error(`simulated ${name}`), { name });

describe("fledge's steps", () => {
  it.each(['Plan', 'SetWeight', 'Evaluate', 'Promote'])(
    'run %s again after a Lambda client execution timeout, as after any transient Lambda service error',
    async (state) => {
      // Prepare: the step's first invocation fails as Lambda's service fails it, before the step ran.
      const { router, deps } = setup();
      const retried: string[] = [];
      let failed = false;

      // Act
      const result = await runLocal({
        input: {
          target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
          strategy: 'Canary10Percent5Minutes',
        },
        deps,
        virtualClock: deps.clock,
        taskOverrides: {
          [state]: async (input, real) => {
            if (failed) return real(input);
            failed = true;
            throw lambdaError('Lambda.ClientExecutionTimeoutException');
          },
        },
        onEvent: (event) => {
          if (event.type === 'StateRetried') retried.push(event.state.name);
        },
      });

      // Assess
      expect(retried).toEqual([state]);
      expect(toReport(result).outcome).toBe('promoted');
      expect(router.calls).toEqual(['setWeight:10', 'promote']);
    },
  );
});

describe("the user's hooks", () => {
  const withHooks = {
    target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' },
    strategy: 'Canary10Percent5Minutes',
    hooks: { beforeAllowTraffic: 'pre', afterAllowTraffic: 'post' },
  };

  const mayHaveRun = [
    'States.Timeout',
    'Sandbox.Timedout',
    'Lambda.Unknown',
    'Lambda.ClientExecutionTimeoutException',
  ];
  it.each(
    mayHaveRun.flatMap((error) => [
      { hook: 'beforeAllowTraffic', fn: 'pre', error },
      { hook: 'afterAllowTraffic', fn: 'post', error },
    ]),
  )(
    'run $hook once when it fails with $error (it may have run), and roll back',
    async ({ fn: hook, error }) => {
      // Prepare
      const { router, deps } = setup();
      const invoked: string[] = [];

      // Act
      const result = await runLocal({
        input: withHooks,
        deps,
        virtualClock: deps.clock,
        invoke: async (fn) => {
          invoked.push(fn);
          if (fn === hook) throw lambdaError(error);
          return { status: 'Succeeded' };
        },
      });

      // Assess
      expect(invoked.filter((fn) => fn === hook)).toHaveLength(1);
      expect(toReport(result)).toMatchObject({ outcome: 'rolled-back' });
      expect(toReport(result).reason).toMatch(
        new RegExp(`^${error.replace(/\./g, '\\.')} during the rollout`),
      );
      expect(router.version).toBe('1');
    },
  );

  it.each([
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.TooManyRequestsException',
  ])('invoke a hook again after %s, an error of Lambda itself', async (error) => {
    const { router, deps } = setup();
    const invoked: string[] = [];

    const result = await runLocal({
      input: withHooks,
      deps,
      virtualClock: deps.clock,
      invoke: async (fn) => {
        invoked.push(fn);
        if (invoked.filter((f) => f === fn).length === 1) throw lambdaError(error);
        return { status: 'Succeeded' };
      },
    });

    expect(invoked).toEqual(['pre', 'pre', 'post', 'post']);
    expect(result.status).toBe('SUCCEEDED');
    expect(router.version).toBe('2');
  });
});

import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { invocationEnded } from '../../shared/lambda/invocation';
import { stepHandler } from '../../shared/lambda/step-handler';

const context = {
  functionName: 'fledge-test',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

describe('stepHandler', () => {
  it("wires the step's dependencies once, when the handler is created (Lambda's INIT)", async () => {
    // Prepare
    let wired = 0;

    // Act
    const handler = stepHandler(
      'test',
      async (_event: object, deps: { n: number }) => deps.n,
      () => ({
        n: ++wired,
      }),
    );
    const afterCreate = wired;
    const results = [await handler({}, context), await handler({}, context)];

    // Assess
    expect(afterCreate).toBe(1);
    expect(results).toEqual([1, 1]);
  });

  it('fails each request, not the module load, when wiring fails', async () => {
    // Prepare
    const create = () =>
      stepHandler(
        'test',
        async () => 'ran',
        () => {
          throw new Error('FLEDGE_LOCK_TABLE is not set');
        },
      );

    // Act
    const handler = create();

    // Assess
    await expect(handler({}, context)).rejects.toThrow('FLEDGE_LOCK_TABLE is not set');
    await expect(handler({}, context)).rejects.toThrow('FLEDGE_LOCK_TABLE is not set');
  });

  it("ends only its own invocation when a step runs out of time, not another step's running beside it", async () => {
    // Prepare: a step that hangs past its deadline, and another, with a long deadline, that calls AWS
    // (here: asks whether its invocation has ended) after the first one timed out.
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const hangs = stepHandler(
      'hangs',
      () => new Promise(() => undefined),
      () => ({}),
    );
    const waits = stepHandler(
      'waits',
      async () => {
        await sleep(400);
        return invocationEnded();
      },
      () => ({}),
    );
    const short = { ...context, getRemainingTimeInMillis: () => 2_200 } as Context;

    // Act
    const [hung, other] = await Promise.allSettled([hangs({}, short), waits({}, context)]);

    // Assess
    expect(hung).toMatchObject({ status: 'rejected', reason: { name: 'StepTimeoutError' } });
    expect(other).toEqual({ status: 'fulfilled', value: false });
  });
});

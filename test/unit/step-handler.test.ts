import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
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
});

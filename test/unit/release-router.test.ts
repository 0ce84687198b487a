/**
 * The release's router over its targets' routers: every target moved and read back, promotion in order
 * stopping at the first failure, rollback of every target, and errors that name each target's traffic.
 * The targets are fakes with the routers' contract (conflict on a split fledge did not write, idempotent
 * retries); the real routers' own guarantees are tested in their files and on moto.
 */
import { describe, expect, it } from 'vitest';
import { InvalidInputError, TrafficConflictError, TransientAwsError } from '../../shared/core/errors';
import type { Applied, LiveSplit, TrafficContext, TrafficRouter } from '../../shared/core/ports';
import { memberContexts, ReleaseRouter } from '../../shared/targets/release-router';

/** One target's live split and a queue of failures for its next writes. */
class FakeTarget implements TrafficRouter {
  weight = 0;
  revision = 1;
  writes: string[] = [];
  failNext: Error[] = [];
  constructor(
    readonly name: string,
    readonly baseline = '1',
    readonly canary = '2',
  ) {}

  /** Prepares for real (a Route 53 router would write its canary record at weight 0 here). */
  prepared = 0;
  async prepare(
    check?: (context: TrafficContext) => void,
    options?: { readOnly?: boolean },
  ): Promise<TrafficContext> {
    const context = {
      baseline: this.baseline,
      canary: this.canary,
      weight: this.weight,
      revision: `r${this.revision}`,
    };
    check?.(context);
    if (!options?.readOnly) this.prepared += 1;
    return context;
  }
  setWeight(weight: number, context: TrafficContext): Promise<Applied> {
    return this.write(weight, context, 'set');
  }
  promote(context: TrafficContext): Promise<Applied> {
    return this.write(100, context, 'promote');
  }
  async rollback(context: TrafficContext): Promise<Applied> {
    return this.write(0, context, 'rollback', true);
  }
  async inspect(): Promise<LiveSplit> {
    const split = this.weight > 0 && this.weight < 100;
    return {
      summary: `${100 - this.weight}% to ${this.baseline}, ${this.weight}% to ${this.canary}`,
      split,
      ...(split ? { context: { baseline: this.baseline, canary: this.canary, weight: this.weight } } : {}),
    };
  }
  private async write(
    weight: number,
    context: TrafficContext,
    what: string,
    anyOurs = false,
  ): Promise<Applied> {
    if (this.weight === weight)
      return { weight, revision: `r${this.revision}`, detail: `${this.name} already ${weight}%` };
    if (!anyOurs && (context.weight !== this.weight || context.revision !== `r${this.revision}`)) {
      throw new TrafficConflictError(`${this.name} was changed by someone else`);
    }
    const failure = this.failNext.shift();
    if (failure) throw failure;
    this.weight = weight;
    this.revision += 1;
    this.writes.push(`${what} ${weight}`);
    return { weight, revision: `r${this.revision}`, detail: `${this.name}: ${weight}% on ${this.canary}` };
  }
}

function release(...names: string[]) {
  const targets = names.map((n) => new FakeTarget(n));
  const router = new ReleaseRouter(targets.map((t) => ({ label: t.name, router: t })));
  return { targets, router };
}

/** The release's context after a write, as the steps carry it. */
const written = (context: TrafficContext, applied: Applied): TrafficContext => ({
  ...context,
  weight: applied.weight,
  revision: applied.revision,
});

describe('ReleaseRouter', () => {
  it('moves every target to the step weight and reports what each read back', async () => {
    const { targets, router } = release('a', 'b', 'c');
    const context = await router.prepare();
    expect(context).toMatchObject({ baseline: 'a: 1, b: 1, c: 1', canary: 'a: 2, b: 2, c: 2', weight: 0 });

    const applied = await router.setWeight(10, context);
    const next = await router.setWeight(50, written(context, applied));

    expect(targets.map((t) => t.weight)).toEqual([50, 50, 50]);
    expect(next.weight).toBe(50);
    expect(next.detail).toBe('a: a: 50% on 2; b: b: 50% on 2; c: c: 50% on 2');
    // Each target's next write was checked against its own last revision: no false conflict.
    expect(targets.every((t) => t.writes.join() === 'set 10,set 50')).toBe(true);
  });

  it("a target that fails leaves the others moved; the error keeps its name and says each target's traffic", async () => {
    const { targets, router } = release('a', 'b');
    const context = await router.prepare();
    targets[1]?.failNext.push(new TransientAwsError('UpdateAlias throttled'));

    const step = router.setWeight(10, context);

    await expect(step).rejects.toMatchObject({ name: 'TransientAwsError' });
    await expect(step).rejects.toThrow(
      /failed on b .*Each target: a: a: 10% on 2; b: 0% on the canary or the write's weight, unconfirmed/,
    );
    // The state machine retries the step with the state from before it: a finds its write in place.
    const retried = await router.setWeight(10, context);
    expect(retried.weight).toBe(10);
    expect(targets.map((t) => t.writes.length)).toEqual([1, 1]);
  });

  it('names a conflict on any target before a transient failure on another, so the run stops without writing', async () => {
    const { targets, router } = release('a', 'b');
    const context = await router.prepare();
    targets[0]?.failNext.push(new TransientAwsError('throttled'));
    if (targets[1]) targets[1].revision = 9; // someone else wrote b

    await expect(router.setWeight(10, context)).rejects.toMatchObject({ name: 'TrafficConflictError' });
  });

  it('promotes in order and stops at the first failure; the rollback then restores every target', async () => {
    const { targets, router } = release('a', 'b', 'c');
    const prepared = await router.prepare();
    const context = written(prepared, await router.setWeight(20, prepared));
    targets[1]?.failNext.push(Object.assign(new Error('AccessDenied'), { name: 'AccessDeniedException' }));

    await expect(router.promote(context)).rejects.toThrow(
      /promoting the targets in order failed on b .*a: a: 100% on 2; b: 20% .*; c: not changed \(20% on the canary\)/,
    );
    expect(targets.map((t) => t.weight)).toEqual([100, 20, 20]);

    const back = await router.rollback(context);
    expect(back.weight).toBe(0);
    expect(targets.map((t) => t.weight)).toEqual([0, 0, 0]);
  });

  it('tries every target in a rollback, and one that fails is named with what each target has', async () => {
    const { targets, router } = release('a', 'b', 'c');
    const prepared = await router.prepare();
    const context = written(prepared, await router.setWeight(30, prepared));
    targets[0]?.failNext.push(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));

    await expect(router.rollback(context)).rejects.toThrow(
      /rolling every target back failed on a .*a: 30% on the canary or the write's weight, unconfirmed .*; b: b: 0% on 2; c: c: 0% on 2/,
    );
    expect(targets.map((t) => t.weight)).toEqual([30, 0, 0]);
  });

  it('reads and checks every target before preparing any: a release refused for its last target prepares none', async () => {
    const targets = [new FakeTarget('a'), new FakeTarget('b', '1', '1')];
    const refuseSameSides = (c: TrafficContext) => {
      if (c.baseline === c.canary) throw new InvalidInputError('version equals the baseline');
    };
    const router = new ReleaseRouter(
      targets.map((t) => ({ label: t.name, router: t, check: refuseSameSides })),
    );

    await expect(router.prepare()).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(targets.map((t) => t.prepared)).toEqual([0, 0]);

    const fine = release('a', 'b');
    await fine.router.prepare();
    expect(fine.targets.map((t) => t.prepared)).toEqual([1, 1]);
  });

  it('inspects every target: the release is split when any is, with each one named', async () => {
    const { targets, router } = release('a', 'b');
    if (targets[1]) targets[1].weight = 40;
    const live = await router.inspect();
    expect(live.split).toBe(true);
    expect(live.summary).toBe('a: 100% to 1, 0% to 2; b: 60% to 1, 40% to 2');
  });

  it("keeps each target's own weight when kinds read back apart, and refuses a context of another release", async () => {
    const { router } = release('a', 'b');
    const context = await router.prepare();
    const mixed = {
      ...context,
      weight: 10,
      revision: JSON.stringify([
        { w: 10, r: 'r2' },
        { w: 9.8, r: 'r5' },
      ]),
    };
    const members = memberContexts(mixed, [
      { label: 'a', router },
      { label: 'b', router },
    ]);
    expect(members.map((m) => [m.weight, m.revision])).toEqual([
      [10, 'r2'],
      [9.8, 'r5'],
    ]);
    expect(() =>
      memberContexts(mixed, [
        { label: 'x', router },
        { label: 'b', router },
      ]),
    ).toThrow(RangeError);
  });
});

import { describe, expect, it } from 'vitest';
import { SharedTimeline } from '../../local/shared-timeline';

const START = new Date('2026-01-01T00:00:00Z');
const settled = <T>(p: Promise<T>) => {
  const state = { done: false };
  void p.then(() => {
    state.done = true;
  });
  return state;
};
const wallMs = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SharedTimeline', () => {
  it('skips an SDK backoff when every other rollout is parked, refilling by its whole length', async () => {
    const timeline = new SharedTimeline(START);
    const waiting = timeline.join();
    const throttled = timeline.join();
    const wait = waiting.until(START.getTime() + 60_000);
    throttled.callStarted();
    const wallBefore = performance.now();

    await throttled.backOff(10_000);

    expect(timeline.now()).toBeGreaterThanOrEqual(START.getTime() + 10_000);
    expect(timeline.now()).toBeLessThan(START.getTime() + 60_000);
    expect(performance.now() - wallBefore).toBeLessThan(1_000);
    throttled.callEnded();
    throttled.leave();
    await wait;
    expect(timeline.now()).toBeGreaterThanOrEqual(START.getTime() + 60_000);
  });

  it('holds the time while a rollout has a call on the wire beside one in a backoff', async () => {
    const timeline = new SharedTimeline(START);
    const rollout = timeline.join();
    rollout.callStarted(); // on the wire
    rollout.callStarted(); // throttled
    const backoff = settled(rollout.backOff(30_000));

    await wallMs(100);
    expect(backoff.done).toBe(false);
    expect(timeline.now()).toBeLessThan(START.getTime() + 30_000);

    rollout.callEnded(); // the call on the wire returns: only the backoff is left
    await wallMs(50);
    expect(backoff.done).toBe(true);
    expect(timeline.now()).toBeGreaterThanOrEqual(START.getTime() + 30_000);
  });

  it('wakes a parked rollout on the wall clock while another works, without a jump', async () => {
    const timeline = new SharedTimeline(START);
    const parked = timeline.join();
    timeline.join(); // works throughout: no calls, not parked
    const wake = settled(parked.until(timeline.now() + 50));

    await wallMs(20);
    expect(wake.done).toBe(false);
    await wallMs(100);
    expect(wake.done).toBe(true);
    // No jump: the time moved only with the wall clock.
    expect(timeline.now() - START.getTime()).toBeLessThan(1_000);
  });

  it("a member's clock parks on advance and reads the shared time", async () => {
    const timeline = new SharedTimeline(START);
    const one = timeline.join();
    const other = timeline.join();
    const clock = one.clock();
    const seen: Array<[number, number]> = [];
    clock.onAdvance((from, to) => {
      seen.push([from.getTime(), to.getTime()]);
    });
    // The other rollout wakes first, at 2 minutes, and ends.
    const otherWait = other.until(START.getTime() + 120_000).then(() => other.leave());

    await clock.advance(300);

    expect(clock.now().getTime()).toBeGreaterThanOrEqual(START.getTime() + 300_000);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.[1]).toBeGreaterThanOrEqual(START.getTime() + 300_000);
    await otherWait;
  });
});

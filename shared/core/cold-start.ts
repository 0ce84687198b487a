/**
 * Judging a canary's cold starts fairly. Pure.
 *
 * A canary with provisioned concurrency of its own (shared/core/provisioned.ts) is READY before its first
 * request, so both sides are warm and are compared minute for minute, from the first minute of traffic.
 * A canary that runs on demand beside a stable side kept warm by provisioned concurrency (the input turned
 * it off) starts new execution environments whenever its share of traffic rises, and its first requests in
 * each are slower for reasons a release does not change (the runtime's first invocation, lazy loading,
 * connections not yet open): the latency of the minute in which each step's weight took effect is left
 * out of the latency comparison. Its errors still count, from the first request: a version whose
 * environments fail to start must roll back.
 */
import { floorToMinute } from './clock';
import type { TrafficContext } from './ports';
import type { Provisioned } from './provisioned';
import type { PairedMinute } from './sequential-test';

/** Whether the canary will run on demand beside a stable side that has provisioned concurrency. */
export function runsColdBesideWarm(traffic: TrafficContext, plan: Provisioned | undefined): boolean {
  const read = traffic.provisioned;
  return plan === undefined && read !== undefined && read.stable > 0 && read.canary === 0;
}

/** The minute (its start, ISO) a weight change at `at` took effect in: the one whose latency is left out. */
export function coldMinuteOf(at: Date): string {
  return floorToMinute(at).toISOString();
}

/** The minutes with the latency of the cold ones left out; their requests and errors stay. */
export function withoutColdLatency(
  minutes: readonly PairedMinute[],
  cold: readonly string[] | undefined,
): PairedMinute[] {
  if (!cold?.length) return [...minutes];
  const skip = new Set(cold.map((at) => Date.parse(at)));
  return minutes.map((m) => {
    if (!m.latency || !skip.has(Date.parse(m.at))) return m;
    const { latency: _left, ...kept } = m;
    return kept;
  });
}

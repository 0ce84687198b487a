/**
 * One virtual timeline for many rollouts run in one process. Each rollout's clock (`timeline.clock()`)
 * reads the shared time; a Wait or a sleep parks the rollout until the shared time reaches its end. The
 * time jumps to the earliest parked rollout only when none is running, so no rollout's wait passes
 * while another still works in an earlier second; between jumps it moves with the wall clock (the
 * time calls, SDK backoffs and handlers really take). The quota emulator's buckets refill on `now`.
 */
import { VirtualClock } from '../shared/core/clock';

interface Parked {
  at: number;
  wake: () => void;
}

export class SharedTimeline {
  #base: number;
  #wallAt = performance.now();
  #running = 0;
  #parked: Parked[] = [];

  constructor(start: Date) {
    this.#base = start.getTime();
  }

  /** Milliseconds of shared time. */
  now = (): number => this.#base + (performance.now() - this.#wallAt);

  /** A rollout joins: time cannot jump past its present until it parks or leaves. */
  join(): void {
    this.#running += 1;
  }

  leave(): void {
    this.#running -= 1;
    this.jump();
  }

  /** Parks the calling rollout until the shared time reaches `at`. */
  until(at: number): Promise<void> {
    if (at <= this.now()) return Promise.resolve();
    return new Promise<void>((wake) => {
      this.#parked.push({ at, wake });
      this.#running -= 1;
      this.jump();
    });
  }

  /** A clock for one rollout on this timeline (the local runner's virtual clock). */
  clock(): VirtualClock {
    return new TimelineClock(this);
  }

  private jump(): void {
    if (this.#running > 0 || this.#parked.length === 0) return;
    const earliest = Math.min(...this.#parked.map((p) => p.at));
    this.#base = Math.max(earliest, this.now());
    this.#wallAt = performance.now();
    const due = this.#parked.filter((p) => p.at <= this.#base);
    this.#parked = this.#parked.filter((p) => p.at > this.#base);
    this.#running += due.length;
    for (const p of due) p.wake();
  }
}

class TimelineClock extends VirtualClock {
  readonly #listeners: Array<(from: Date, to: Date) => Promise<void> | void> = [];

  constructor(private readonly timeline: SharedTimeline) {
    super(new Date(timeline.now()));
  }

  override now(): Date {
    return new Date(this.timeline.now());
  }

  override onAdvance(listener: (from: Date, to: Date) => Promise<void> | void): void {
    this.#listeners.push(listener);
  }

  override async advance(seconds: number): Promise<void> {
    if (!Number.isFinite(seconds) || seconds < 0)
      throw new RangeError(`cannot advance a clock by ${seconds}s`);
    const from = this.now();
    await this.timeline.until(from.getTime() + seconds * 1000);
    const to = this.now();
    for (const listener of this.#listeners) await listener(from, to);
  }
}

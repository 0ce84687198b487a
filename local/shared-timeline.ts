/**
 * One virtual timeline for many rollouts run in one process. Each rollout joins as a member; its clock
 * (`member.clock()`) reads the shared time, and a Wait, a Retry pause or an SDK backoff parks it
 * until the shared time reaches its end. Between jumps the time moves with the wall clock (the time
 * calls and handlers really take); it jumps to the earliest parked end only when no member is working,
 * so no rollout's wait passes while another still works in an earlier second. The quota emulator's
 * buckets refill on `now`, so a backoff refills them exactly as long as it lasts, without a wall-clock
 * second spent on it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { VirtualClock } from '../shared/core/clock';

interface Timer {
  at: number;
  fire: () => void;
  real: NodeJS.Timeout;
}

const memberOfCall = new AsyncLocalStorage<TimelineMember>();

/** The member whose work is running now (set by `member.run`), if any. */
export function currentMember(): TimelineMember | undefined {
  return memberOfCall.getStore();
}

export class SharedTimeline {
  #base: number;
  #wallAt = performance.now();
  readonly #members = new Set<TimelineMember>();
  #timers: Timer[] = [];
  #jumpQueued = false;

  constructor(start: Date) {
    this.#base = start.getTime();
  }

  /** Milliseconds of shared time. */
  now = (): number => this.#base + (performance.now() - this.#wallAt);

  /** A rollout joins, working: time cannot jump past its present until it parks or leaves. */
  join(): TimelineMember {
    const member = new TimelineMember(this);
    this.#members.add(member);
    return member;
  }

  /** @internal A member left. */
  left(member: TimelineMember): void {
    this.#members.delete(member);
    this.settle();
  }

  /**
   * @internal Calls `fire` once the shared time reaches `at`: at a jump, or, while others work and the
   * time moves with the wall clock, when the wall clock gets there.
   */
  timer(at: number, fire: () => void): void {
    const timer: Timer = {
      at,
      fire,
      real: setTimeout(() => this.fire(timer), Math.max(0, at - this.now())),
    };
    this.#timers.push(timer);
    this.settle();
  }

  /**
   * @internal Looks for a jump once the event loop has run what is ready: a member whose call just
   * returned, or whose backoff just began beside another call, is at work again by then.
   */
  settle(): void {
    if (this.#jumpQueued) return;
    this.#jumpQueued = true;
    setImmediate(() => {
      this.#jumpQueued = false;
      this.jump();
    });
  }

  private fire(timer: Timer): void {
    if (!this.#timers.includes(timer)) return;
    this.#timers = this.#timers.filter((t) => t !== timer);
    clearTimeout(timer.real);
    timer.fire();
  }

  private jump(): void {
    if (this.#timers.length === 0) return;
    for (const member of this.#members) if (member.working) return;
    const earliest = Math.min(...this.#timers.map((t) => t.at));
    this.#base = Math.max(earliest, this.now());
    this.#wallAt = performance.now();
    for (const timer of this.#timers.filter((t) => t.at <= this.#base)) this.fire(timer);
  }
}

/**
 * One rollout on a timeline. It works unless its own flow is parked (a Wait, a Retry pause) or every
 * SDK call it has in flight is in a backoff: a rollout's handlers may run calls side by side, and one
 * in a backoff beside one still on the wire is still work.
 */
export class TimelineMember {
  #parks = 0;
  #calls = 0;
  #backingOff = 0;

  constructor(private readonly timeline: SharedTimeline) {}

  get working(): boolean {
    return this.#calls > this.#backingOff || (this.#calls === 0 && this.#parks === 0);
  }

  /** This member's clock (the local runner's virtual clock): the shared time, parking on waits. */
  clock(): VirtualClock {
    return new TimelineClock(this.timeline, this);
  }

  /** Runs `work` as this member's: its SDK calls and backoffs are counted here. */
  run<T>(work: () => Promise<T>): Promise<T> {
    return memberOfCall.run(this, work);
  }

  /** Parks this member's flow until the shared time reaches `at`. */
  until(at: number): Promise<void> {
    if (at <= this.timeline.now()) return Promise.resolve();
    this.#parks += 1;
    return new Promise<void>((wake) =>
      this.timeline.timer(at, () => {
        this.#parks -= 1;
        wake();
      }),
    );
  }

  /** An SDK call of this member started; `callEnded` when it settles, retries included. */
  callStarted(): void {
    this.#calls += 1;
  }

  callEnded(): void {
    this.#calls -= 1;
    if (!this.working) this.timeline.settle();
  }

  /** One of this member's SDK calls waits `ms` of shared time before its next attempt. */
  backOff(ms: number): Promise<void> {
    this.#backingOff += 1;
    return new Promise<void>((wake) =>
      this.timeline.timer(this.timeline.now() + ms, () => {
        this.#backingOff -= 1;
        wake();
      }),
    );
  }

  leave(): void {
    this.timeline.left(this);
  }
}

class TimelineClock extends VirtualClock {
  readonly #listeners: Array<(from: Date, to: Date) => Promise<void> | void> = [];

  constructor(
    private readonly timeline: SharedTimeline,
    private readonly member: TimelineMember,
  ) {
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
    await this.member.until(from.getTime() + seconds * 1000);
    const to = this.now();
    for (const listener of this.#listeners) await listener(from, to);
  }
}

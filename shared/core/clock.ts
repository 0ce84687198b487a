/** The time source of the core. Lambdas use the system clock; `fledge run --clock virtual` moves its own. */
export interface Clock {
  now(): Date;
  /** Resolves once `ms` have passed on this clock. */
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * A clock that only moves when told to. The local runner advances it by each Wait state's duration, so
 * a 30-minute rollout replays in seconds while every window the handlers compute stays consistent.
 */
export class VirtualClock implements Clock {
  #ms: number;
  readonly #listeners: Array<(from: Date, to: Date) => Promise<void> | void> = [];

  constructor(start: Date) {
    this.#ms = start.getTime();
  }

  now(): Date {
    return new Date(this.#ms);
  }

  /** Registers a callback run on every advance, before the next state sees the new time. */
  onAdvance(listener: (from: Date, to: Date) => Promise<void> | void): void {
    this.#listeners.push(listener);
  }

  /** A wait on a virtual clock moves it, at once. */
  sleep(ms: number): Promise<void> {
    return this.advance(ms / 1000);
  }

  async advance(seconds: number): Promise<void> {
    if (!Number.isFinite(seconds) || seconds < 0)
      throw new RangeError(`cannot advance a clock by ${seconds}s`);
    const from = this.now();
    this.#ms += seconds * 1000;
    const to = this.now();
    for (const listener of this.#listeners) await listener(from, to);
  }
}

export const MINUTE_MS = 60_000;

export function floorToMinute(date: Date): Date {
  return new Date(Math.floor(date.getTime() / MINUTE_MS) * MINUTE_MS);
}

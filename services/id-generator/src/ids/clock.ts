/**
 * Clocks the generator and the lease read. Injectable so tests can move the wall clock backwards
 * (a forced clock regression) without touching the machine's clock.
 */

/** Source of time for the generator and the lease. */
export interface Clock {
  /** Wall-clock milliseconds since the Unix epoch: goes into ids; may jump backwards. */
  wallMillis(): number;
  /** Monotonic milliseconds (arbitrary origin): measures lease validity and wait bounds; never jumps. */
  monotonicMillis(): number;
}

/** The machine's clocks: `Date.now()` and `performance.now()`. */
export const systemClock: Clock = {
  wallMillis: () => Date.now(),
  monotonicMillis: () => performance.now(),
};

/**
 * A wall clock that is the system clock plus an adjustable offset, so a test or a fault-injection run
 * can jump it backwards or forwards while time still flows. The monotonic clock stays real.
 */
export class OffsetClock implements Clock {
  /** Added to `Date.now()`; negative = the clock is behind. */
  offsetMillis: number;

  constructor(offsetMillis = 0) {
    this.offsetMillis = offsetMillis;
  }

  wallMillis(): number {
    return Date.now() + this.offsetMillis;
  }

  monotonicMillis(): number {
    return performance.now();
  }

  /** Moves the wall clock by `deltaMillis` (negative = backwards). */
  shift(deltaMillis: number): void {
    this.offsetMillis += deltaMillis;
  }
}

/**
 * A wall clock that only moves when told to (for exact assertions on timestamps). The monotonic
 * clock stays real so wait bounds still expire.
 */
export class ManualClock implements Clock {
  private nowMillis: number;

  constructor(startMillis: number) {
    this.nowMillis = startMillis;
  }

  wallMillis(): number {
    return this.nowMillis;
  }

  monotonicMillis(): number {
    return performance.now();
  }

  /** Sets the wall clock. */
  set(millis: number): void {
    this.nowMillis = millis;
  }

  /** Moves the wall clock by `deltaMillis` (negative = backwards). */
  advance(deltaMillis: number): void {
    this.nowMillis += deltaMillis;
  }
}

import { afterEach, beforeEach, vi } from 'vitest';

/**
 * Fake timers for every test of the calling `describe`: the timer functions and the clock the code
 * under test reads (`performance` or `Date`); `reset` runs first (fresh fakes per test).
 */
export function fakeClockPerTest(clock: 'performance' | 'Date', reset: () => void): void {
  beforeEach(() => {
    reset();
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'clearInterval', 'clearTimeout', clock] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}

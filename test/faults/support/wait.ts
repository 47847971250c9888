/** Polling helpers for the fault scenarios: wait for a condition on real, asynchronous systems. */
import { setTimeout as sleep } from 'node:timers/promises';
import { poll } from '../../support/helpers.js';

export { sleep };

/**
 * Polls `probe` every `intervalMillis` until it returns a value other than `undefined`/`false`, and
 * returns that value. Throws after `timeoutMillis` (the monotonic clock's) with `what` and the last
 * probe error, so a failing scenario says what it was waiting for.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMillis: number,
  intervalMillis = 200,
): Promise<T> {
  return poll(
    async () => {
      const value = await probe();
      return value === false ? undefined : value;
    },
    { timeoutMillis, what, intervalMillis },
  );
}

/** GETs JSON from `url`; throws naming the URL and status when the answer is not 2xx. */
export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

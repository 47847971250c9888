/** Shared helpers for cross-package tests. */

/**
 * Flags for Debian's Chromium in CI: no sandbox (CI runs as root), no GPU, and no background traffic (the
 * machine's network is closed, so update/sync/component requests would only fail).
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Calls `probe` until it returns a value other than undefined, and returns that value. Throws, naming `what`
 * and the last error, when `timeoutMillis` passes first: asynchronous pipelines (UDP → assembly → storage)
 * are awaited by their observable result, never by a fixed sleep.
 */
export async function poll<T>(
  probe: () => Promise<T | undefined>,
  options: { timeoutMillis: number; what: string; intervalMillis?: number },
): Promise<T> {
  // The monotonic clock: a step of the wall clock (NTP, a virtual machine resumed from a snapshot)
  // must not end a wait early or stretch it.
  const deadline = performance.now() + options.timeoutMillis;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (performance.now() > deadline) {
      const suffix = lastError ? ` (last error: ${(lastError as Error).message})` : '';
      throw new Error(`timed out after ${options.timeoutMillis} ms waiting for ${options.what}${suffix}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMillis ?? 200));
  }
}

/** Deterministic PRNG (mulberry32) so shuffles and fuzz inputs are reproducible from a seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Phase lengths of the fault scenarios. `npm test` runs the short versions; `npm run soak` sets
 * FAULT_SOAK_SECONDS and every load phase then lasts that long instead (the outage phases too, where
 * the backend allows: see docs/faults.md).
 */

/** Parsed once: a malformed value must fail the run loudly, not silently fall back to the short version. */
const SOAK_SECONDS = parseSoakSeconds(process.env.FAULT_SOAK_SECONDS);

function parseSoakSeconds(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 86_400) {
    throw new Error(`FAULT_SOAK_SECONDS: must be an integer number of seconds 1..86400 (got "${raw}")`);
  }
  return value;
}

/** True when running as the soak (long) version. */
export const SOAK = SOAK_SECONDS !== undefined;

/** Milliseconds a phase lasts: `shortMillis` in the test suite, FAULT_SOAK_SECONDS in a soak run. */
export function phaseMillis(shortMillis: number): number {
  return SOAK_SECONDS === undefined ? shortMillis : SOAK_SECONDS * 1000;
}

/** A vitest timeout for a test made of `phases` soak-length phases plus `extraMillis` of set-up and checks. */
export function testTimeoutMillis(shortMillis: number, phases: number, extraMillis: number): number {
  return SOAK_SECONDS === undefined ? shortMillis : phases * SOAK_SECONDS * 1000 + extraMillis;
}

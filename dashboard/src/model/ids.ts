/**
 * Trace ids as the dashboard accepts them from users and URLs: decimal 64-bit Snowflake ids,
 * 32-hex W3C trace ids, or UUID-like correlation ids. Bounded by the wire format's id limit.
 */

/** Longest id the wire format accepts (`MAX_ID_LENGTH` in wire/src/limits.ts). */
export const MAX_TRACE_ID_LENGTH = 64;

/** The collector's `GET /api/traces/:traceId` accepts exactly this alphabet. */
const TRACE_ID_PATTERN = /^[A-Za-z0-9_-]+$/;

/** True when `text` (already trimmed) can be a trace id. */
export function isTraceId(text: string): boolean {
  return text.length > 0 && text.length <= MAX_TRACE_ID_LENGTH && TRACE_ID_PATTERN.test(text);
}

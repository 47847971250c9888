/**
 * Trace id mapping between Phosphor and OpenTelemetry, the same rule the tracer's `traceparent`
 * uses: a Phosphor decimal 64-bit correlation id `d` is the 128-bit OTel id whose upper 64 bits
 * are zero and whose lower 64 bits are `d` (32 lowercase hex digits). An OTel id with a non-zero
 * upper half has no decimal form and stays 32 hex digits. So `12345` ↔
 * `00000000000000000000000000003039`, and every id has exactly one Phosphor (canonical) form.
 */

const HEX_32 = /^[0-9a-fA-F]{32}$/;
const HEX_16 = /^[0-9a-fA-F]{16}$/;
const DECIMAL = /^[1-9][0-9]{0,19}$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const MAX_UINT64 = (1n << 64n) - 1n;
const UPPER_HALF_ZERO = '0000000000000000';
const ZERO_TRACE_ID = '00000000000000000000000000000000';

/** True for a decimal id in 1..2^64-1. */
export function isDecimalTraceId(value: string): boolean {
  return DECIMAL.test(value) && (value.length < 20 || BigInt(value) <= MAX_UINT64);
}

/** The Phosphor form of a 32-hex OTel trace id: decimal when the upper half is zero, else lowercase hex. */
export function traceIdFromOtel(hex32: string): string {
  const lower = hex32.toLowerCase();
  if (lower.startsWith(UPPER_HALF_ZERO)) {
    const value = BigInt(`0x${lower.slice(16)}`);
    if (value !== 0n) return value.toString();
  }
  return lower;
}

/** The 32-hex OTel form of a Phosphor trace id; undefined when it has none (e.g. a free-form id). */
export function traceIdToOtel(traceId: string): string | undefined {
  if (isDecimalTraceId(traceId)) return UPPER_HALF_ZERO + BigInt(traceId).toString(16).padStart(16, '0');
  if (HEX_32.test(traceId)) return traceId === ZERO_TRACE_ID ? undefined : traceId.toLowerCase();
  if (UUID.test(traceId)) return traceIdToOtel(traceId.replaceAll('-', ''));
  return undefined;
}

/**
 * The id under which a trace is stored, for any form a user may paste: a decimal id, the 32-hex
 * OTel id (zero-padded or not), a 16-hex 64-bit id (as Jaeger shows short ids), or a UUID. Other
 * strings are returned unchanged (a store may hold free-form ids from `tracer.emit()`).
 */
export function canonicalTraceId(input: string): string {
  const id = input.trim();
  if (HEX_32.test(id)) return id === ZERO_TRACE_ID ? id : traceIdFromOtel(id);
  // 16 hex digits that are not all decimal digits: a 64-bit hex id. An all-digit 16-char string
  // is ambiguous and read as decimal, the form Phosphor itself shows.
  if (HEX_16.test(id) && !/^[0-9]+$/.test(id)) return traceIdFromOtel(UPPER_HALF_ZERO + id);
  if (UUID.test(id)) return traceIdFromOtel(id.replaceAll('-', ''));
  return id;
}

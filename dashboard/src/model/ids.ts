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

/*
 * One trace, several spellings (docs/otel.md, "Trace ids"): a Phosphor decimal 64-bit id `d` is the OTel
 * 128-bit id of 16 zero hex digits followed by `d` in 16 hex digits; an OTel id with a non-zero upper half
 * stays 32 lowercase hex digits. The rule is the collector's (collector/src/otlp/otlp-trace-id.ts), written
 * again here because the collector package is not loaded in the browser; tests pin both to the same examples.
 */
const HEX_32 = /^[0-9a-fA-F]{32}$/;
const HEX_16 = /^[0-9a-fA-F]{16}$/;
const DIGITS = /^[0-9]+$/;
const DECIMAL = /^[1-9][0-9]{0,19}$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const MAX_UINT64 = (1n << 64n) - 1n;
const UPPER_HALF_ZERO = '0000000000000000';
const ZERO_TRACE_ID = '00000000000000000000000000000000';

function fromOtel(hex32: string): string {
  const lower = hex32.toLowerCase();
  if (lower.startsWith(UPPER_HALF_ZERO)) {
    const value = BigInt(`0x${lower.slice(16)}`);
    if (value !== 0n) return value.toString();
  }
  return lower;
}

/**
 * The id the collector stores a trace under, for any form a user may paste or a link may carry: a decimal
 * id, the 32-hex OTel id, a 16-hex 64-bit id (as Jaeger shows short ids) or a UUID. Other ids (free-form
 * ids from `tracer.emit()`) are returned unchanged.
 */
export function canonicalTraceId(id: string): string {
  if (HEX_32.test(id)) return id === ZERO_TRACE_ID ? id : fromOtel(id);
  // 16 digits only is ambiguous and read as decimal, the form Phosphor itself shows.
  if (HEX_16.test(id) && !DIGITS.test(id)) return fromOtel(UPPER_HALF_ZERO + id);
  if (UUID.test(id)) return fromOtel(id.replaceAll('-', ''));
  return id;
}

/** The 32-hex OpenTelemetry form of a canonical trace id (what Jaeger and OTel tools show); undefined when it has none. */
export function otelTraceId(canonical: string): string | undefined {
  if (DECIMAL.test(canonical) && BigInt(canonical) <= MAX_UINT64)
    return UPPER_HALF_ZERO + BigInt(canonical).toString(16).padStart(16, '0');
  if (HEX_32.test(canonical) && canonical !== ZERO_TRACE_ID) return canonical.toLowerCase();
  return undefined;
}

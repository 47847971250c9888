import { isDecimalTraceId } from '../ids.js';

/**
 * W3C Trace Context `traceparent` (https://www.w3.org/TR/trace-context/#traceparent-header):
 * `version-traceid-parentid-flags`, e.g. `00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01`.
 * Phosphor's decimal 64-bit trace ids map to the lower half of the 128-bit trace-id (upper 16 hex
 * digits zero), so OpenTelemetry neighbours continue the same trace and the id maps back.
 */
export interface Traceparent {
  /** 32 lowercase hex chars, not all zeros. */
  traceId: string;
  /** The caller's span id for this request: 16 lowercase hex chars, not all zeros. */
  parentId: string;
  /** Trace flags byte; bit 0 = sampled. */
  flags: number;
}

const ZERO_TRACE_ID = '00000000000000000000000000000000';
const ZERO_SPAN_ID = '0000000000000000';
const HEX_TRACE_ID = /^[0-9a-f]{32}$/;
const HEX_SPAN_ID = /^[0-9a-f]{16}$/;
/** Version 00 exactly; later versions may append `-…` fields, which a 00 parser must ignore. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const UPPER_HALF_ZERO = '0000000000000000';

/** Parses a traceparent header; undefined for anything the W3C rules say to reject. */
export function parseTraceparent(header: string | undefined): Traceparent | undefined {
  if (typeof header !== 'string' || header.length < 55 || header.length > 512) return undefined;
  const match = TRACEPARENT.exec(header.trim());
  if (!match) return undefined;
  const [, version, traceId, parentId, flags, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  // ff is forbidden; version 00 must be exactly 55 chars (no trailing fields).
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE_ID || parentId === ZERO_SPAN_ID) return undefined;
  return { traceId, parentId, flags: Number.parseInt(flags, 16) };
}

/** Produces a version-00 traceparent; undefined when the trace id has no W3C form. */
export function formatTraceparent(traceId: string, spanId: string, sampled: boolean): string | undefined {
  const w3c = traceIdToW3c(traceId);
  if (w3c === undefined || !HEX_SPAN_ID.test(spanId) || spanId === ZERO_SPAN_ID) return undefined;
  return `00-${w3c}-${spanId}-${sampled ? '01' : '00'}`;
}

/**
 * The 32-hex W3C form of a Phosphor trace id: a decimal id becomes 16 zero digits plus its 16-digit
 * hex value; 32-hex ids stay; a UUID loses its dashes. Anything else has no W3C form.
 */
export function traceIdToW3c(traceId: string): string | undefined {
  if (isDecimalTraceId(traceId)) return UPPER_HALF_ZERO + BigInt(traceId).toString(16).padStart(16, '0');
  if (HEX_TRACE_ID.test(traceId)) return traceId === ZERO_TRACE_ID ? undefined : traceId;
  if (UUID.test(traceId)) return traceIdToW3c(traceId.replaceAll('-', '').toLowerCase());
  return undefined;
}

/** The Phosphor form of a W3C trace id: decimal when the upper half is zero, else the 32 hex chars. */
export function traceIdFromW3c(w3cTraceId: string): string {
  if (w3cTraceId.startsWith(UPPER_HALF_ZERO)) return BigInt(`0x${w3cTraceId.slice(16)}`).toString();
  return w3cTraceId;
}

import { formatTraceparent, parseTraceparent, traceIdFromW3c, traceIdToW3c } from './traceparent.js';
import { formatTracestate, parseTracestate } from './tracestate.js';

/**
 * What travels with a request: the correlation id as Flaki sends it (`X-Correlation-ID`, gRPC
 * metadata `correlation_id`), the W3C `traceparent` (so OpenTelemetry services continue the trace
 * and see the sampling decision), and a Phosphor entry in `tracestate` carrying what traceparent
 * has no room for: the parent of the hop's span and the persistent flag. tracestate is used
 * rather than a custom header because OpenTelemetry propagators forward it untouched; the other
 * vendors' members in it are forwarded too (see tracestate.ts).
 */

/** HTTP header names (lowercase, as Node delivers them). */
export const HttpHeaders = {
  correlationId: 'x-correlation-id',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

/** gRPC metadata keys. */
export const GrpcMetadataKeys = {
  correlationId: 'correlation_id',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

/** What a server learns from an incoming request. */
export interface IncomingTrace {
  traceId: string;
  /** The caller's span id for this hop (traceparent parent-id), shared by REQ/IN/OUT/REP. */
  hopSpanId?: string;
  /** The parent of the hop's span, from tracestate. */
  parentSpanId?: string;
  /** The root's sampling decision, when a traceparent carried it. */
  sampled?: boolean;
  persistent: boolean;
  /** Other vendors' tracestate members to forward (only with a consistent traceparent). */
  tracestate?: string;
  /** True when the ids above were checked to be ASCII on arrival ({@link extractTrace} checks them). */
  asciiIds?: boolean;
}

/** What a client sends with an outgoing request. */
export interface OutgoingTrace {
  traceId: string;
  /** The new hop's span id. */
  spanId: string;
  /** The caller's current span (the hop's parent), if any. */
  parentSpanId?: string | undefined;
  sampled: boolean;
  persistent: boolean;
  /** Other vendors' tracestate members to forward after Phosphor's. */
  tracestate?: string | undefined;
}

/** Correlation ids accepted from the outside: ids, UUIDs, hex — no spaces or separators that break logs. */
const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** True when `value` is acceptable as an incoming correlation id. */
export function isValidCorrelationId(value: string): boolean {
  return CORRELATION_ID.test(value);
}

/**
 * Reads the incoming trace through `get` (header or metadata lookup by name). Malformed values are
 * ignored, as W3C requires; undefined when nothing usable arrived (the server then starts a trace).
 * When both a correlation id and a traceparent arrive for different traces, the correlation id wins
 * (it is what the logs are keyed by) and the traceparent's parent and flags are not used.
 */
export function extractTrace(
  get: (name: string) => string | undefined,
  names: typeof HttpHeaders | typeof GrpcMetadataKeys,
): IncomingTrace | undefined {
  const rawCorrelation = get(names.correlationId)?.trim();
  const rawParent = get(names.traceparent);
  // Without a correlation id or a traceparent there is no trace to continue (tracestate alone
  // carries none): most requests to a trace root end here, before any parsing.
  if (!rawCorrelation && rawParent === undefined) return undefined;
  const correlationId = rawCorrelation && isValidCorrelationId(rawCorrelation) ? rawCorrelation : undefined;
  const parent = parseTraceparent(rawParent);
  const state = parseTracestate(get(names.tracestate));
  const consistent =
    parent !== undefined && (correlationId === undefined || traceIdToW3c(correlationId) === parent.traceId);
  const traceId = correlationId ?? (parent ? traceIdFromW3c(parent.traceId) : undefined);
  if (traceId === undefined) return undefined;
  // Every id kept here matched an ASCII pattern: the correlation id's, traceparent's or tracestate's.
  const incoming: IncomingTrace = { traceId, persistent: state.persistent, asciiIds: true };
  if (consistent && parent) {
    incoming.hopSpanId = parent.parentId;
    incoming.sampled = (parent.flags & 1) === 1;
    if (state.parentSpanId !== undefined) incoming.parentSpanId = state.parentSpanId;
    if (state.others !== undefined) incoming.tracestate = state.others;
  }
  return incoming;
}

/** Writes the outgoing trace through `set` (header or metadata setter). */
export function injectTrace(
  set: (name: string, value: string) => void,
  names: typeof HttpHeaders | typeof GrpcMetadataKeys,
  trace: OutgoingTrace,
): void {
  set(names.correlationId, trace.traceId);
  const traceparent = formatTraceparent(trace.traceId, trace.spanId, trace.sampled);
  if (traceparent === undefined) return;
  set(names.traceparent, traceparent);
  const state = formatTracestate(trace.parentSpanId, trace.persistent, trace.tracestate);
  if (state !== undefined) set(names.tracestate, state);
}

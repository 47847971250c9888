import { MAX_NAME_LENGTH, type TraceEvent } from '@phosphor/wire';
import { NON_HOP_KIND_TAG } from '../../model/span.js';
import { SPAN_KIND_NAMES, SpanKind, StatusCode } from '../../otlp/otlp-schema.js';
import { traceIdFromOtel } from '../../otlp/otlp-trace-id.js';
import type { OtelSpan } from './otel-span.js';
import type { ResolvedSpan } from './parent-resolver.js';

/** Tag holding the OTel span id of a SERVER span (its hop carries the caller's CLIENT span id). */
export const SERVER_SPAN_ID_TAG = 'otel.server.span_id';
/** Responses at or above this are failures of the hop, as in the tracer's HTTP instrumentation. */
const HTTP_ERROR_STATUS_MIN = 500;

/**
 * Maps one OTel span to Phosphor events, which then go through the same assembly as datagrams:
 * - CLIENT span C → REQ (start) and REP (end) of hop C, the caller's side;
 * - SERVER span S with parent P → IN (start) and OUT (end) of hop P: P is the caller's CLIENT span
 *   id (or a Phosphor caller's hop id, which the tracer sends as traceparent parent-id), so both
 *   sides join into one span. A root SERVER span is hop S;
 * - any other kind → IN/OUT of its own id, tagged `otel.span.kind`, so it is kept and shown
 *   without counting as a hop.
 */
export function mapOtelSpan(resolved: ResolvedSpan): TraceEvent[] {
  const { span, parentHopId, callerEndpoint } = resolved;
  // The attributes object was built for this span by the decoder: tagging it in place saves a
  // copy per span, and both events share it (events never modify their tags).
  const a = span.attributes;
  const traceId = traceIdFromOtel(span.traceId);
  const error = errorOf(resolved);
  const zone = span.zone || undefined;
  if (span.kind === SpanKind.client) {
    const to = clip(a['peer.service'] || a['rpc.service'] || a['server.address'] || a['net.peer.name'] || '');
    const toEndpoint = clip(clientEndpoint(resolved));
    const fromEndpoint = clip(callerEndpoint);
    return sides(
      'REQ',
      'REP',
      traceId,
      span.spanId,
      parentHopId,
      span.service,
      fromEndpoint,
      to,
      toEndpoint,
      span,
      zone,
      a,
      error,
    );
  }
  const isServer = span.kind === SpanKind.server;
  if (isServer) a[SERVER_SPAN_ID_TAG] = span.spanId;
  else a[NON_HOP_KIND_TAG] = SPAN_KIND_NAMES[span.kind] ?? 'unspecified';
  // A SERVER span is the callee side of its parent's hop; others are their own span.
  const spanId = isServer ? (span.parentSpanId ?? span.spanId) : span.spanId;
  const parent = isServer ? undefined : parentHopId;
  const toEndpoint = clip(span.name);
  return sides('IN', 'OUT', traceId, spanId, parent, '', '', span.service, toEndpoint, span, zone, a, error);
}

/**
 * The two events of one side of a hop: the start (REQ or IN) at the span's start, the end (REP or
 * OUT) at its end with the span's duration and error.
 */
function sides(
  startType: TraceEvent['type'],
  endType: TraceEvent['type'],
  traceId: string,
  spanId: string,
  parentSpanId: string | undefined,
  from: string,
  fromEndpoint: string,
  to: string,
  toEndpoint: string,
  span: OtelSpan,
  zone: string | undefined,
  tags: Record<string, string>,
  error: SpanError | undefined,
): TraceEvent[] {
  const names = { traceId, spanId, parentSpanId, from, fromEndpoint, to, toEndpoint };
  return [
    event(startType, names, span.startMicros, span, zone, tags, undefined, undefined),
    event(endType, names, span.endMicros, span, zone, tags, span.endMicros - span.startMicros, error),
  ];
}

/** The ids and names both events of a side share. */
interface SideNames {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  from: string;
  fromEndpoint: string;
  to: string;
  toEndpoint: string;
}

/** One event as a literal of one shape (every field present), so all events share a hidden class. */
function event(
  type: TraceEvent['type'],
  names: SideNames,
  timestampMicros: number,
  span: OtelSpan,
  zone: string | undefined,
  tags: Record<string, string>,
  durationMicros: number | undefined,
  error: SpanError | undefined,
): TraceEvent {
  return {
    type,
    traceId: names.traceId,
    spanId: names.spanId,
    parentSpanId: names.parentSpanId,
    from: names.from,
    fromEndpoint: names.fromEndpoint,
    to: names.to,
    toEndpoint: names.toEndpoint,
    timestampMicros,
    hostname: span.hostname,
    zone,
    durationMicros,
    errorCode: error?.errorCode,
    errorDescription: error?.errorDescription,
    tags,
    flags: 1,
  };
}

/** The called endpoint as the caller names it: `service/method` for RPC, else the span name (`GET`, or what the app set). */
function clientEndpoint({ span }: ResolvedSpan): string {
  const a = span.attributes;
  if (a['rpc.service'] && a['rpc.method']) return `${a['rpc.service']}/${a['rpc.method']}`;
  const method = a['http.request.method'];
  const route = a['http.route'];
  if (method && route) return `${method} ${route}`;
  return span.name;
}

/**
 * Error fields from OTel status and attributes: status ERROR, or `error.type`, or an HTTP status
 * of 500 and above. The code prefers `error.type`, then `HTTP_<status>` (the tracer's form), then
 * `GRPC_<code>`, then `ERROR`; the description is the status message.
 */
interface SpanError {
  errorCode: string;
  errorDescription: string | undefined;
}

function errorOf({ span }: ResolvedSpan): SpanError | undefined {
  const a = span.attributes;
  const httpStatus = Number(a['http.response.status_code'] ?? a['http.status_code']);
  const httpFailed = Number.isFinite(httpStatus) && httpStatus >= HTTP_ERROR_STATUS_MIN;
  const errorType = a['error.type'];
  if (span.statusCode !== StatusCode.error && !errorType && !httpFailed) return undefined;
  const grpc = a['rpc.grpc.status_code'];
  const code =
    errorType ||
    (Number.isFinite(httpStatus) && httpStatus > 0 ? `HTTP_${httpStatus}` : grpc ? `GRPC_${grpc}` : 'ERROR');
  return { errorCode: clip(code), errorDescription: span.statusMessage || undefined };
}

function clip(value: string): string {
  return value.length > MAX_NAME_LENGTH ? value.slice(0, MAX_NAME_LENGTH) : value;
}

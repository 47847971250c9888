import { createHash } from 'node:crypto';
import { NON_HOP_KIND_TAG, type Span } from '../../model/span.js';
import { SpanKind, StatusCode } from '../../otlp/otlp-schema.js';
import { traceIdToOtel } from '../../otlp/otlp-trace-id.js';

/** Tag the OTLP receiver adds to keep an OTel SERVER span's own id; not an attribute worth re-sending. */
const SERVER_SPAN_ID_TAG = 'otel.server.span_id';
const HEX_SPAN_ID = /^[0-9a-f]{16}$/;
/**
 * The callee side of hop H is sent as span id H XOR this constant ("phosphor" in ASCII). A pure
 * function of H, so a child hop whose parent is H can name its parent span without seeing it,
 * and H itself stays the CLIENT span's id — the id the caller sent as traceparent parent-id.
 */
const SERVER_ID_MASK = 0x70686f7370686f72n;
const KIND_BY_TAG: Record<string, number> = {
  internal: SpanKind.internal,
  producer: SpanKind.producer,
  consumer: SpanKind.consumer,
  unspecified: SpanKind.unspecified,
};

/**
 * Builds an ExportTraceServiceRequest (protobufjs `fromObject` shape) from assembled spans: each
 * hop becomes a CLIENT span (REQ→REP, caller's resource) and a SERVER span (IN→OUT, callee's
 * resource) as an OpenTelemetry SDK would have recorded them; a side whose events never arrived
 * is left out. Spans are grouped into one resource per service and host.
 */
export function spansToOtlpRequest(spans: readonly Span[]): Record<string, unknown> {
  const resources = new Map<string, { service: string; host: string | undefined; spans: Record<string, unknown>[] }>();
  const add = (service: string, host: string | undefined, span: Record<string, unknown>) => {
    const key = `${service}\u0000${host ?? ''}`;
    let entry = resources.get(key);
    if (!entry) {
      entry = { service, host, spans: [] };
      resources.set(key, entry);
    }
    entry.spans.push(span);
  };
  for (const span of spans) {
    const traceId = otlpTraceId(span.traceId);
    const hopId = otlpSpanId(span.spanId);
    const parentServerId = span.parentSpanId ? serverSideId(otlpSpanId(span.parentSpanId)) : undefined;
    const attributes = toAttributes(span);
    const status = span.errorCode
      ? { code: StatusCode.error, message: span.errorDescription ?? span.errorCode }
      : { code: StatusCode.unset };
    const { REQ, IN, OUT, REP } = span.events;
    const nonHopKind = span.tags[NON_HOP_KIND_TAG];
    const hasClient = nonHopKind === undefined && (REQ !== undefined || REP !== undefined);
    if (hasClient) {
      const start = REQ ?? (REP as number) - (span.clientDurationMicros ?? 0);
      const end = REP ?? IN ?? OUT ?? start;
      add(span.from || 'unknown_service', span.clientHost, {
        traceId,
        spanId: hopId,
        parentSpanId: parentServerId,
        name: span.toEndpoint || span.to,
        kind: SpanKind.client,
        startTimeUnixNano: nanos(start),
        endTimeUnixNano: nanos(Math.max(end, start)),
        attributes: span.to ? [...attributes, stringAttribute('peer.service', span.to)] : attributes,
        status,
      });
    }
    if (IN !== undefined || OUT !== undefined) {
      const start = IN ?? (OUT as number) - (span.serverDurationMicros ?? 0);
      const end = OUT ?? start;
      const kind = nonHopKind === undefined ? SpanKind.server : (KIND_BY_TAG[nonHopKind] ?? SpanKind.internal);
      // A SERVER span's parent is the caller's CLIENT span (the hop id), even when the caller's
      // events were lost; a root hop has none. Other kinds hang under their parent's callee side.
      const parent = nonHopKind === undefined ? (hasClient || span.parentSpanId ? hopId : undefined) : parentServerId;
      add(span.to || 'unknown_service', span.serverHost, {
        traceId,
        spanId: serverSideId(hopId),
        parentSpanId: parent,
        name: span.toEndpoint || span.to,
        kind,
        startTimeUnixNano: nanos(start),
        endTimeUnixNano: nanos(Math.max(end, start)),
        attributes,
        status,
      });
    }
  }
  return {
    resourceSpans: [...resources.values()].map((r) => ({
      resource: {
        attributes: [
          stringAttribute('service.name', r.service),
          ...(r.host ? [stringAttribute('host.name', r.host)] : []),
        ],
      },
      scopeSpans: [{ scope: { name: 'phosphor-collector' }, spans: r.spans }],
    })),
  };
}

/** The span id of the callee side of a hop (see {@link SERVER_ID_MASK}), as bytes. */
export function serverSideId(hopId: Buffer): Buffer {
  let value = hopId.readBigUInt64BE(0) ^ SERVER_ID_MASK;
  if (value === 0n) value = 1n;
  const out = Buffer.allocUnsafe(8);
  out.writeBigUInt64BE(value);
  return out;
}

/** 16 bytes: the OTel form of a Phosphor trace id; a free-form id is hashed (no OTel form exists). */
function otlpTraceId(traceId: string): Buffer {
  const hex = traceIdToOtel(traceId);
  if (hex !== undefined) return Buffer.from(hex, 'hex');
  return createHash('sha256').update(traceId).digest().subarray(0, 16);
}

/** 8 bytes: a 16-hex span id as is; anything else (a span id from `tracer.emit()`) hashed. */
function otlpSpanId(spanId: string): Buffer {
  if (HEX_SPAN_ID.test(spanId) && spanId !== '0000000000000000') return Buffer.from(spanId, 'hex');
  return createHash('sha256').update(spanId).digest().subarray(0, 8);
}

function toAttributes(span: Span): Record<string, unknown>[] {
  const attributes: Record<string, unknown>[] = [];
  for (const [key, value] of Object.entries(span.tags)) {
    if (key === NON_HOP_KIND_TAG || key === SERVER_SPAN_ID_TAG) continue;
    attributes.push(stringAttribute(key, value));
  }
  if (span.errorCode && span.tags['error.type'] === undefined) {
    attributes.push(stringAttribute('error.type', span.errorCode));
  }
  if (span.skewCorrected) attributes.push({ key: 'phosphor.skew_micros', value: { intValue: span.skewMicros } });
  if (span.missing.length > 0) attributes.push(stringAttribute('phosphor.missing_events', span.missing.join(',')));
  return attributes;
}

function stringAttribute(key: string, value: string): Record<string, unknown> {
  return { key, value: { stringValue: value } };
}

function nanos(micros: number): string {
  return (BigInt(Math.round(micros)) * 1000n).toString();
}

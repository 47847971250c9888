/**
 * One OTLP span after decoding and validation, in the collector's units: ids as lowercase hex,
 * times in microseconds, attributes flattened to strings. Both OTLP/protobuf and OTLP/JSON
 * requests decode to this shape, so everything after decoding is shared.
 */
export interface OtelSpan {
  /** 32 lowercase hex digits, not all zero. */
  traceId: string;
  /** 16 lowercase hex digits, not all zero. */
  spanId: string;
  /** 16 lowercase hex digits; undefined for a root span. */
  parentSpanId: string | undefined;
  name: string;
  /** OTLP `SpanKind` number (0 unspecified … 5 consumer). */
  kind: number;
  startMicros: number;
  endMicros: number;
  /** Span attributes flattened to strings (arrays and maps as JSON). */
  attributes: Record<string, string>;
  /** OTLP `StatusCode` number (0 unset, 1 ok, 2 error). */
  statusCode: number;
  statusMessage: string;
  /** `service.name` of the span's resource (`unknown_service` when absent, as OTel SDKs default). */
  service: string;
  /** `host.name` of the resource, else `service.instance.id`, else the service name. */
  hostname: string;
  /** `cloud.availability_zone` of the resource, else empty. */
  zone: string;
}

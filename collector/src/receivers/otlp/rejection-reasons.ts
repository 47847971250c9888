/**
 * Why an OTLP request was refused as a whole. Each is a counter in the receiver's stats and a
 * `reason` label of `phosphor_collector_otlp_rejected_requests_total`.
 */
export const REQUEST_REJECTIONS = [
  /** Body (compressed or not) above the configured `maxRequestBytes`. */
  'too_large',
  /** Decompressed body above `maxDecompressedBytes` (a gzip bomb, or simply too much). */
  'decompressed_too_large',
  /** Content-Type other than application/x-protobuf or application/json. */
  'unsupported_media_type',
  /** Content-Encoding other than gzip or identity, or gzip data that does not inflate. */
  'bad_encoding',
  /** Bytes that are not an ExportTraceServiceRequest (protobuf or JSON). */
  'malformed',
  /** Path or method other than POST /v1/traces. */
  'not_found',
] as const;

/** A request-level rejection reason. */
export type RequestRejection = (typeof REQUEST_REJECTIONS)[number];

/**
 * Why a span inside an accepted request was left out; the request then gets a partial_success
 * naming the count and the first problem.
 */
export const SPAN_REJECTIONS = [
  'invalid_trace_id',
  'invalid_span_id',
  'invalid_parent_span_id',
  'invalid_timestamps',
  'invalid_kind',
  'invalid_name',
  /** The mapped events broke a wire limit (name or tag length) that truncation could not fix. */
  'invalid_event',
] as const;

/** A span-level rejection reason. */
export type SpanRejection = (typeof SPAN_REJECTIONS)[number];

/** A zeroed counter record, one key per reason. */
export function zeroCounts<T extends string>(reasons: readonly T[]): Record<T, number> {
  const counts = {} as Record<T, number>;
  for (const reason of reasons) counts[reason] = 0;
  return counts;
}

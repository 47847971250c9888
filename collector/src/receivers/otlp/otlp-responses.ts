import { status as GrpcStatus } from '@grpc/grpc-js';
import { ExportTraceServiceResponse, RpcStatus } from '../../otlp/otlp-schema.js';
import type { ExportOutcome } from './otlp-ingest.js';
import type { RequestRejection } from './rejection-reasons.js';

/** HTTP status of each request rejection (OTLP/HTTP: 400 and 413/415 are not retried by exporters). */
export const HTTP_STATUS_BY_REJECTION: Record<RequestRejection, number> = {
  too_large: 413,
  decompressed_too_large: 413,
  unsupported_media_type: 415,
  bad_encoding: 400,
  malformed: 400,
  not_found: 404,
};

/** gRPC status of each request rejection. */
export const GRPC_STATUS_BY_REJECTION: Record<RequestRejection, GrpcStatus> = {
  too_large: GrpcStatus.RESOURCE_EXHAUSTED,
  decompressed_too_large: GrpcStatus.RESOURCE_EXHAUSTED,
  unsupported_media_type: GrpcStatus.INVALID_ARGUMENT,
  bad_encoding: GrpcStatus.INVALID_ARGUMENT,
  malformed: GrpcStatus.INVALID_ARGUMENT,
  not_found: GrpcStatus.UNIMPLEMENTED,
};

/**
 * The ExportTraceServiceResponse of an accepted request as a plain object: `partialSuccess` only
 * when spans were rejected (an empty one would mean the same, but is noise to readers).
 */
export function exportResponseObject(outcome: ExportOutcome & { ok: true }): Record<string, unknown> {
  if (outcome.rejectedSpans === 0) return {};
  return { partialSuccess: { rejectedSpans: outcome.rejectedSpans, errorMessage: outcome.errorMessage } };
}

/** The response body of an accepted request, in the request's format. */
export function encodeExportResponse(outcome: ExportOutcome & { ok: true }, format: 'protobuf' | 'json'): Buffer {
  const object = exportResponseObject(outcome);
  if (format === 'json') {
    // OTLP/JSON writes int64 as a decimal string.
    const partial = object.partialSuccess as { rejectedSpans: number; errorMessage: string } | undefined;
    return Buffer.from(
      JSON.stringify(
        partial
          ? { partialSuccess: { rejectedSpans: String(partial.rejectedSpans), errorMessage: partial.errorMessage } }
          : {},
      ),
    );
  }
  return Buffer.from(ExportTraceServiceResponse.encode(ExportTraceServiceResponse.fromObject(object)).finish());
}

/** The `google.rpc.Status` body of a refused request, in the request's format. */
export function encodeErrorStatus(reason: RequestRejection, detail: string, format: 'protobuf' | 'json'): Buffer {
  const code = GRPC_STATUS_BY_REJECTION[reason];
  const message = `${reason}: ${detail}`;
  if (format === 'json') return Buffer.from(JSON.stringify({ code, message }));
  return Buffer.from(RpcStatus.encode(RpcStatus.fromObject({ code, message })).finish());
}

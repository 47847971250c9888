import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/*
 * The official OTLP protos (./proto, copied from opentelemetry-proto) are the single source of the
 * format for the receiver and the exporter. They are parsed once at load; protobufjs then
 * generates specialised encode/decode functions. `long` is installed with protobufjs, so 64-bit
 * nanosecond timestamps decode without losing precision.
 */
// Resolved through the package's src/ folder, so the same path works from src/ and from the built dist/.
const PROTO_DIR = fileURLToPath(new URL('../../src/otlp/proto/', import.meta.url));
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : PROTO_DIR + target);
root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto', { keepCase: false });
root.resolveAll();

/** `opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest`. */
export const ExportTraceServiceRequest = root.lookupType(
  'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
);
/** `opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse`. */
export const ExportTraceServiceResponse = root.lookupType(
  'opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse',
);

/** gRPC method path of TraceService/Export. */
export const TRACE_EXPORT_GRPC_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/** OTLP `Span.SpanKind`. */
export const SpanKind = {
  unspecified: 0,
  internal: 1,
  server: 2,
  client: 3,
  producer: 4,
  consumer: 5,
} as const;

/** OTLP `Status.StatusCode`. */
export const StatusCode = { unset: 0, ok: 1, error: 2 } as const;

/** Lower-case names of span kinds, as tags and docs show them. */
export const SPAN_KIND_NAMES = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;

/**
 * An OTLP `AnyValue` as protobufjs's `toObject` and OTLP/JSON both present it (lowerCamelCase
 * keys, int64 as string or number, bytes as base64).
 */
export interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
  bytesValue?: string;
}

/** An OTLP `KeyValue`. */
export interface OtlpKeyValue {
  key?: string;
  value?: OtlpAnyValue;
}

/**
 * `google.rpc.Status`, the body of an OTLP/HTTP error response (code and message only; `details`
 * is not used). Declared here rather than copied from googleapis: two scalar fields.
 */
export const RpcStatus = new protobuf.Type('Status')
  .add(new protobuf.Field('code', 1, 'int32'))
  .add(new protobuf.Field('message', 2, 'string'));
new protobuf.Root().define('google.rpc').add(RpcStatus);

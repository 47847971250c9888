import { MAX_NAME_LENGTH, MAX_TAGS, MAX_TEXT_LENGTH } from '@phosphor/wire';
import { ExportTraceServiceRequest, type OtlpAnyValue, type OtlpKeyValue } from '../../otlp/otlp-schema.js';
import type { OtelSpan } from './otel-span.js';
import type { SpanRejection } from './rejection-reasons.js';

/** How ids are written in the decoded object: base64 after protobuf decoding, hex in OTLP/JSON. */
type IdEncoding = 'base64' | 'hex';

/** A decoded request: valid spans, and the invalid ones counted by reason. */
export interface DecodedRequest {
  spans: OtelSpan[];
  rejected: Partial<Record<SpanRejection, number>>;
  rejectedCount: number;
  /** The first rejected span's problem, for partial_success.error_message. */
  firstProblem?: string;
}

/** Decoding failed as a whole: the bytes are not an ExportTraceServiceRequest. */
export class MalformedRequestError extends Error {}

/** OTel SDKs name a service without `service.name` this way. */
const UNKNOWN_SERVICE = 'unknown_service';
/** Nesting of array/kvlist attribute values flattened at most (deeper levels become "…"). */
const MAX_VALUE_DEPTH = 4;
const HEX_TRACE_ID = /^[0-9a-fA-F]{32}$/;
const HEX_SPAN_ID = /^[0-9a-fA-F]{16}$/;

/** Decodes an OTLP/protobuf body; throws {@link MalformedRequestError}. */
export function decodeProtobufRequest(body: Uint8Array): DecodedRequest {
  let object: unknown;
  try {
    const message = ExportTraceServiceRequest.decode(body);
    object = ExportTraceServiceRequest.toObject(message, { longs: String, enums: Number, bytes: String });
  } catch (err) {
    throw new MalformedRequestError(`not an OTLP protobuf ExportTraceServiceRequest: ${(err as Error).message}`);
  }
  return normalizeRequest(object, 'base64');
}

/** Decodes an OTLP/JSON body (UTF-8); throws {@link MalformedRequestError}. */
export function decodeJsonRequest(body: Uint8Array): DecodedRequest {
  let object: unknown;
  try {
    object = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (err) {
    throw new MalformedRequestError(`not valid JSON: ${(err as Error).message}`);
  }
  return normalizeRequest(object, 'hex');
}

/**
 * Walks `resourceSpans[].scopeSpans[].spans[]` of a decoded request. Structure errors (a field of
 * the wrong type) reject the whole request; a span with bad ids or times is left out and counted.
 */
function normalizeRequest(object: unknown, ids: IdEncoding): DecodedRequest {
  if (!isRecord(object)) throw new MalformedRequestError('the request is not an object');
  const result: DecodedRequest = { spans: [], rejected: {}, rejectedCount: 0 };
  for (const resourceSpans of arrayField(object, 'resourceSpans')) {
    if (!isRecord(resourceSpans)) throw new MalformedRequestError('resourceSpans[]: must be objects');
    const resource = resourceSpans.resource;
    const resourceAttributes = isRecord(resource) ? flattenAttributes(arrayField(resource, 'attributes')) : {};
    const service = resourceAttributes['service.name'] || UNKNOWN_SERVICE;
    // Skew correction keys clocks by host; a resource without host.name (OTel SDKs add it only with
    // a resource detector) is taken as its own host, so two such services are never one clock.
    const hostname = resourceAttributes['host.name'] || resourceAttributes['service.instance.id'] || service;
    const zone = resourceAttributes['cloud.availability_zone'] ?? '';
    for (const scopeSpans of arrayField(resourceSpans, 'scopeSpans')) {
      if (!isRecord(scopeSpans)) throw new MalformedRequestError('scopeSpans[]: must be objects');
      for (const raw of arrayField(scopeSpans, 'spans')) {
        if (!isRecord(raw)) throw new MalformedRequestError('spans[]: must be objects');
        const span = normalizeSpan(raw, ids, service, hostname, zone);
        if ('reason' in span) {
          result.rejected[span.reason] = (result.rejected[span.reason] ?? 0) + 1;
          result.rejectedCount++;
          result.firstProblem ??= span.problem;
        } else {
          result.spans.push(span);
        }
      }
    }
  }
  return result;
}

type SpanOrProblem = OtelSpan | { reason: SpanRejection; problem: string };

function normalizeSpan(
  raw: Record<string, unknown>,
  ids: IdEncoding,
  service: string,
  hostname: string,
  zone: string,
): SpanOrProblem {
  const traceId = readId(raw.traceId, ids, HEX_TRACE_ID, 16);
  if (traceId === undefined || /^0+$/.test(traceId)) {
    return { reason: 'invalid_trace_id', problem: 'traceId: must be 16 bytes, not all zero' };
  }
  const spanId = readId(raw.spanId, ids, HEX_SPAN_ID, 8);
  if (spanId === undefined || /^0+$/.test(spanId)) {
    return { reason: 'invalid_span_id', problem: `span ${traceId}: spanId must be 8 bytes, not all zero` };
  }
  let parentSpanId: string | undefined;
  if (raw.parentSpanId !== undefined && raw.parentSpanId !== '' && raw.parentSpanId !== null) {
    parentSpanId = readId(raw.parentSpanId, ids, HEX_SPAN_ID, 8);
    if (parentSpanId === undefined) {
      return { reason: 'invalid_parent_span_id', problem: `span ${spanId}: parentSpanId must be empty or 8 bytes` };
    }
    // An all-zero parent is how some SDKs write "no parent".
    if (/^0+$/.test(parentSpanId)) parentSpanId = undefined;
  }
  const startMicros = readNanosAsMicros(raw.startTimeUnixNano);
  const endMicros = readNanosAsMicros(raw.endTimeUnixNano);
  if (startMicros === undefined || endMicros === undefined || startMicros <= 0 || endMicros < startMicros) {
    return {
      reason: 'invalid_timestamps',
      problem: `span ${spanId}: startTimeUnixNano and endTimeUnixNano must be positive, end not before start`,
    };
  }
  const kind = raw.kind ?? 0;
  if (typeof kind !== 'number' || !Number.isInteger(kind) || kind < 0 || kind > 5) {
    return { reason: 'invalid_kind', problem: `span ${spanId}: kind must be 0..5 (got ${String(kind)})` };
  }
  const name = raw.name ?? '';
  if (typeof name !== 'string') return { reason: 'invalid_name', problem: `span ${spanId}: name must be a string` };
  const status = isRecord(raw.status) ? raw.status : {};
  const statusCode = typeof status.code === 'number' ? status.code : 0;
  const statusMessage = typeof status.message === 'string' ? status.message : '';
  return {
    traceId,
    spanId,
    parentSpanId,
    name: name.slice(0, MAX_NAME_LENGTH),
    kind,
    startMicros,
    endMicros,
    attributes: flattenAttributes(Array.isArray(raw.attributes) ? raw.attributes : []),
    statusCode,
    statusMessage: statusMessage.slice(0, MAX_TEXT_LENGTH),
    service: service.slice(0, MAX_NAME_LENGTH),
    hostname: hostname.slice(0, MAX_NAME_LENGTH),
    zone: zone.slice(0, MAX_NAME_LENGTH),
  };
}

/** Lowercase hex of an id field, or undefined when it is not exactly `bytes` long. */
function readId(value: unknown, ids: IdEncoding, hexPattern: RegExp, bytes: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (ids === 'hex') return hexPattern.test(value) ? value.toLowerCase() : undefined;
  const decoded = Buffer.from(value, 'base64');
  return decoded.length === bytes ? decoded.toString('hex') : undefined;
}

/** A fixed64 nanosecond time (string, or number in JSON) as whole microseconds. */
function readNanosAsMicros(value: unknown): number | undefined {
  let nanos: bigint;
  try {
    if (typeof value === 'string' && /^[0-9]{1,20}$/.test(value)) nanos = BigInt(value);
    else if (typeof value === 'number' && Number.isFinite(value) && value >= 0) nanos = BigInt(Math.trunc(value));
    else return undefined;
  } catch {
    return undefined;
  }
  return Number(nanos / 1000n);
}

/**
 * OTLP attributes as string tags: strings as they are, numbers and booleans printed, arrays and
 * maps as JSON. Keys and values are cut to the wire limits and at most MAX_TAGS are kept, since
 * they travel on as event tags.
 */
export function flattenAttributes(attributes: readonly unknown[]): Record<string, string> {
  const result: Record<string, string> = {};
  let count = 0;
  for (const entry of attributes) {
    if (count >= MAX_TAGS) break;
    if (!isRecord(entry)) continue;
    const { key, value } = entry as OtlpKeyValue;
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_NAME_LENGTH) continue;
    const text = anyValueToString(value, 0);
    if (text === undefined) continue;
    if (!(key in result)) count++;
    result[key] = text.length > MAX_TEXT_LENGTH ? text.slice(0, MAX_TEXT_LENGTH) : text;
  }
  return result;
}

function anyValueToString(value: OtlpAnyValue | undefined, depth: number): string | undefined {
  if (!isRecord(value)) return undefined;
  if (typeof value.stringValue === 'string') return value.stringValue;
  if (typeof value.boolValue === 'boolean') return String(value.boolValue);
  if (typeof value.intValue === 'string' || typeof value.intValue === 'number') return String(value.intValue);
  if (typeof value.doubleValue === 'number') return String(value.doubleValue);
  if (typeof value.bytesValue === 'string') return value.bytesValue;
  if (depth >= MAX_VALUE_DEPTH) return '…';
  if (isRecord(value.arrayValue)) {
    const values = Array.isArray(value.arrayValue.values) ? value.arrayValue.values : [];
    return JSON.stringify(values.map((v) => anyValueToString(v, depth + 1) ?? null));
  }
  if (isRecord(value.kvlistValue)) {
    const values = Array.isArray(value.kvlistValue.values) ? value.kvlistValue.values : [];
    const object: Record<string, string | null> = {};
    for (const kv of values)
      if (isRecord(kv) && typeof kv.key === 'string')
        object[kv.key] = anyValueToString(kv.value as OtlpAnyValue, depth + 1) ?? null;
    return JSON.stringify(object);
  }
  return undefined;
}

function arrayField(object: Record<string, unknown>, key: string): unknown[] {
  const value = object[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new MalformedRequestError(`${key}: must be an array`);
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

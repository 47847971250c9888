import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import type { Batch, BatchHeader, EventType, TraceEvent } from './event.js';
import {
  MAX_ID_LENGTH,
  MAX_NAME_LENGTH,
  MAX_TAGS,
  MAX_TEXT_LENGTH,
  WIRE_FLAG_HMAC,
  WIRE_HEADER_BYTES,
  WIRE_HMAC_BYTES,
  WIRE_MAGIC_0,
  WIRE_MAGIC_1,
  WIRE_VERSION,
} from './limits.js';

// The .proto file is the schema's single source; it is parsed once at load, and protobufjs
// generates specialised encode/decode functions from it.
const root = protobuf.parse(readFileSync(new URL('./phosphor.proto', import.meta.url), 'utf8')).root;
const EventMessage = root.lookupType('phosphor.wire.v1.Event');
const BatchMessage = root.lookupType('phosphor.wire.v1.Batch');

const TYPE_TO_WIRE: Record<EventType, number> = { REQ: 1, IN: 2, OUT: 3, REP: 4 };
const WIRE_TO_TYPE: (EventType | undefined)[] = [undefined, 'REQ', 'IN', 'OUT', 'REP'];
/** Field 6 (`Batch.events`), wire type 2 (length-delimited). */
const EVENTS_FIELD_TAG = (6 << 3) | 2;

/** Why a datagram was rejected as a whole. */
export type DatagramRejection = 'too_short' | 'bad_magic' | 'wrong_version' | 'missing_hmac' | 'bad_hmac' | 'malformed';

export type DecodeResult =
  | {
      ok: true;
      batch: Batch;
      /** Events inside the datagram that failed validation and were left out. */
      invalidEvents: number;
      /** The first invalid event's problem, naming the field. */
      firstInvalidReason?: string;
    }
  | { ok: false; reason: DatagramRejection; detail: string };

/**
 * Encodes one event to its protobuf bytes. The tracer encodes each event once, so it knows the
 * exact size before packing it into a datagram.
 */
export function encodeEvent(event: TraceEvent): Uint8Array {
  const message: Record<string, unknown> = {
    type: TYPE_TO_WIRE[event.type],
    traceId: event.traceId,
    spanId: event.spanId,
    from: event.from,
    fromEndpoint: event.fromEndpoint,
    to: event.to,
    toEndpoint: event.toEndpoint,
    timestampMicros: event.timestampMicros,
    hostname: event.hostname,
    flags: event.flags ?? 1,
  };
  if (event.parentSpanId) message.parentSpanId = event.parentSpanId;
  if (event.zone) message.zone = event.zone;
  if (event.durationMicros !== undefined) message.durationMicros = event.durationMicros;
  if (event.errorCode) message.errorCode = event.errorCode;
  if (event.errorDescription) message.errorDescription = event.errorDescription;
  if (event.tags) message.tags = event.tags;
  return EventMessage.encode(message).finish();
}

/** Bytes an encoded event of `encodedBytes` takes inside a batch (tag + length prefix + body). */
export function eventFrameBytes(encodedBytes: number): number {
  return 1 + varintBytes(encodedBytes) + encodedBytes;
}

/** Bytes a datagram with this header and no events takes (header, HMAC, batch fields). */
export function datagramOverheadBytes(header: BatchHeader, withHmac: boolean): number {
  return WIRE_HEADER_BYTES + (withHmac ? WIRE_HMAC_BYTES : 0) + encodeHeader(header).finish().length;
}

/**
 * Builds a datagram from a batch header and already-encoded events. A repeated message field
 * is a plain concatenation of frames, so events encoded earlier are copied in, not re-encoded.
 * With `hmacKey`, an HMAC-SHA256 (truncated to 16 bytes) over header and payload follows the header.
 */
export function encodeDatagram(header: BatchHeader, encodedEvents: readonly Uint8Array[], hmacKey?: Buffer): Buffer {
  const writer = encodeHeader(header);
  for (const encoded of encodedEvents) writer.uint32(EVENTS_FIELD_TAG).bytes(encoded);
  const payload = writer.finish();
  const macBytes = hmacKey ? WIRE_HMAC_BYTES : 0;
  const out = Buffer.allocUnsafe(WIRE_HEADER_BYTES + macBytes + payload.length);
  out[0] = WIRE_MAGIC_0;
  out[1] = WIRE_MAGIC_1;
  out[2] = WIRE_VERSION;
  out[3] = hmacKey ? WIRE_FLAG_HMAC : 0;
  out.set(payload, WIRE_HEADER_BYTES + macBytes);
  if (hmacKey) computeMac(hmacKey, out.subarray(0, WIRE_HEADER_BYTES), payload).copy(out, WIRE_HEADER_BYTES);
  return out;
}

/** Convenience for tests and bridges: encodes whole events into one datagram. */
export function encodeBatch(batch: Batch, hmacKey?: Buffer): Buffer {
  return encodeDatagram(batch, batch.events.map(encodeEvent), hmacKey);
}

/**
 * Decodes and validates a datagram. Never throws: whatever the bytes, the result says what was
 * wrong. With `hmacKey`, datagrams without a valid HMAC are rejected; without it, an HMAC present
 * in the datagram is skipped unchecked.
 */
export function decodeDatagram(datagram: Uint8Array, hmacKey?: Buffer): DecodeResult {
  if (datagram.length < WIRE_HEADER_BYTES) {
    return {
      ok: false,
      reason: 'too_short',
      detail: `datagram of ${datagram.length} bytes is shorter than the header`,
    };
  }
  if (datagram[0] !== WIRE_MAGIC_0 || datagram[1] !== WIRE_MAGIC_1) {
    return { ok: false, reason: 'bad_magic', detail: 'datagram does not start with the "PH" magic' };
  }
  if (datagram[2] !== WIRE_VERSION) {
    return { ok: false, reason: 'wrong_version', detail: `wire version ${datagram[2]} is not ${WIRE_VERSION}` };
  }
  const hasMac = ((datagram[3] ?? 0) & WIRE_FLAG_HMAC) !== 0;
  const payloadStart = WIRE_HEADER_BYTES + (hasMac ? WIRE_HMAC_BYTES : 0);
  if (datagram.length < payloadStart) {
    return { ok: false, reason: 'too_short', detail: 'datagram ends inside its HMAC' };
  }
  const payload = datagram.subarray(payloadStart);
  if (hmacKey) {
    if (!hasMac)
      return { ok: false, reason: 'missing_hmac', detail: 'a shared key is configured but the datagram has no HMAC' };
    const expected = computeMac(hmacKey, datagram.subarray(0, WIRE_HEADER_BYTES), payload);
    if (!timingSafeEqual(expected, datagram.subarray(WIRE_HEADER_BYTES, payloadStart))) {
      return { ok: false, reason: 'bad_hmac', detail: 'HMAC does not match the shared key' };
    }
  }
  let decoded: DecodedBatch;
  try {
    decoded = BatchMessage.decode(payload) as unknown as DecodedBatch;
  } catch (err) {
    return { ok: false, reason: 'malformed', detail: `protobuf decode failed: ${(err as Error).message}` };
  }
  const headerProblem = validateHeader(decoded);
  if (headerProblem) return { ok: false, reason: 'malformed', detail: headerProblem };

  const events: TraceEvent[] = [];
  let invalidEvents = 0;
  let firstInvalidReason: string | undefined;
  for (const raw of decoded.events) {
    const event = toTraceEvent(raw);
    const problem = typeof event === 'string' ? event : validateEvent(event);
    if (problem !== undefined) {
      invalidEvents++;
      firstInvalidReason ??= problem;
      continue;
    }
    events.push(event as TraceEvent);
  }
  const drops = decoded.drops;
  const result: DecodeResult = {
    ok: true,
    batch: {
      tracerId: decoded.tracerId,
      sequence: decoded.sequence,
      service: decoded.service,
      hostname: decoded.hostname,
      sentAtMicros: decoded.sentAtMicros,
      drops: {
        bufferFull: drops?.bufferFull ?? 0,
        tooLarge: drops?.tooLarge ?? 0,
        sendError: drops?.sendError ?? 0,
        sampledOut: drops?.sampledOut ?? 0,
      },
      events,
    },
    invalidEvents,
  };
  if (firstInvalidReason !== undefined) result.firstInvalidReason = firstInvalidReason;
  return result;
}

/**
 * Checks one event against the wire limits. Returns a message naming the bad field, or
 * undefined when the event is acceptable. Used by the collector on every received event and
 * by `tracer.emit()` on caller-supplied events.
 */
export function validateEvent(event: TraceEvent): string | undefined {
  if (WIRE_TO_TYPE.indexOf(event.type) < 1) return `type: must be one of REQ, IN, OUT, REP (got ${String(event.type)})`;
  const idProblem =
    checkString('traceId', event.traceId, MAX_ID_LENGTH, true) ??
    checkString('spanId', event.spanId, MAX_ID_LENGTH, true) ??
    checkString('parentSpanId', event.parentSpanId, MAX_ID_LENGTH, false);
  if (idProblem) return idProblem;
  const nameProblem =
    checkString('from', event.from, MAX_NAME_LENGTH, false) ??
    checkString('fromEndpoint', event.fromEndpoint, MAX_NAME_LENGTH, false) ??
    checkString('to', event.to, MAX_NAME_LENGTH, false) ??
    checkString('toEndpoint', event.toEndpoint, MAX_NAME_LENGTH, false) ??
    checkString('hostname', event.hostname, MAX_NAME_LENGTH, false) ??
    checkString('zone', event.zone, MAX_NAME_LENGTH, false) ??
    checkString('errorCode', event.errorCode, MAX_NAME_LENGTH, false) ??
    checkString('errorDescription', event.errorDescription, MAX_TEXT_LENGTH, false);
  if (nameProblem) return nameProblem;
  if (!Number.isFinite(event.timestampMicros) || event.timestampMicros <= 0) {
    return `timestampMicros: must be a positive finite number (got ${String(event.timestampMicros)})`;
  }
  if (event.durationMicros !== undefined && (!Number.isFinite(event.durationMicros) || event.durationMicros < 0)) {
    return `durationMicros: must be a non-negative finite number (got ${String(event.durationMicros)})`;
  }
  if (event.tags) {
    const keys = Object.keys(event.tags);
    if (keys.length > MAX_TAGS) return `tags: at most ${MAX_TAGS} tags (got ${keys.length})`;
    for (const key of keys) {
      if (key.length === 0 || key.length > MAX_NAME_LENGTH) return `tags: key length must be 1..${MAX_NAME_LENGTH}`;
      const value = event.tags[key];
      if (typeof value !== 'string' || value.length > MAX_TEXT_LENGTH) {
        return `tags.${key}: must be a string of at most ${MAX_TEXT_LENGTH} chars`;
      }
    }
  }
  return undefined;
}

interface DecodedEvent {
  type: number;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  from: string;
  fromEndpoint: string;
  to: string;
  toEndpoint: string;
  timestampMicros: number;
  hostname: string;
  zone: string;
  durationMicros?: number | null;
  errorCode: string;
  errorDescription: string;
  tags?: Record<string, string>;
  flags: number;
}

interface DecodedBatch {
  tracerId: string;
  sequence: number;
  service: string;
  hostname: string;
  sentAtMicros: number;
  drops?: { bufferFull: number; tooLarge: number; sendError: number; sampledOut: number } | null;
  events: DecodedEvent[];
}

function toTraceEvent(raw: DecodedEvent): TraceEvent | string {
  const type = WIRE_TO_TYPE[raw.type];
  if (type === undefined) return `type: unknown event type ${raw.type}`;
  const event: TraceEvent = {
    type,
    traceId: raw.traceId,
    spanId: raw.spanId,
    from: raw.from,
    fromEndpoint: raw.fromEndpoint,
    to: raw.to,
    toEndpoint: raw.toEndpoint,
    timestampMicros: raw.timestampMicros,
    hostname: raw.hostname,
    flags: raw.flags,
  };
  if (raw.parentSpanId) event.parentSpanId = raw.parentSpanId;
  if (raw.zone) event.zone = raw.zone;
  if (raw.durationMicros != null) event.durationMicros = raw.durationMicros;
  if (raw.errorCode) event.errorCode = raw.errorCode;
  if (raw.errorDescription) event.errorDescription = raw.errorDescription;
  if (raw.tags && Object.keys(raw.tags).length > 0) event.tags = { ...raw.tags };
  return event;
}

function validateHeader(batch: DecodedBatch): string | undefined {
  return (
    checkString('tracerId', batch.tracerId, MAX_ID_LENGTH, false) ??
    checkString('service', batch.service, MAX_NAME_LENGTH, false) ??
    checkString('hostname', batch.hostname, MAX_NAME_LENGTH, false) ??
    (Number.isFinite(batch.sentAtMicros) ? undefined : 'sentAtMicros: must be finite')
  );
}

function checkString(field: string, value: unknown, maxLength: number, required: boolean): string | undefined {
  if (value === undefined || value === null || value === '') return required ? `${field}: is required` : undefined;
  if (typeof value !== 'string') return `${field}: must be a string`;
  if (value.length > maxLength) return `${field}: longer than ${maxLength} chars`;
  return undefined;
}

function encodeHeader(header: BatchHeader): protobuf.Writer {
  return BatchMessage.encode({
    tracerId: header.tracerId,
    sequence: header.sequence >>> 0,
    service: header.service,
    hostname: header.hostname,
    drops: header.drops,
    sentAtMicros: header.sentAtMicros,
  });
}

function computeMac(key: Buffer, header: Uint8Array, payload: Uint8Array): Buffer {
  return createHmac('sha256', key).update(header).update(payload).digest().subarray(0, WIRE_HMAC_BYTES);
}

function varintBytes(value: number): number {
  let bytes = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    bytes++;
  }
  return bytes;
}

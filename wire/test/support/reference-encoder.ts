/**
 * The protobufjs reference encoder: encodes events and datagrams straight from phosphor.proto. Tests use it
 * to hold the hand-written DatagramWriter and decoder to the schema, and to build datagrams for the
 * collector's tests; no product code uses it (DatagramWriter is ~10x faster).
 */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { computeDatagramMac } from '../../src/datagram-mac.js';
import type { Batch, BatchHeader, EventType, TraceEvent } from '../../src/event.js';
import {
  WIRE_FLAG_HMAC,
  WIRE_HEADER_BYTES,
  WIRE_HMAC_BYTES,
  WIRE_MAGIC_0,
  WIRE_MAGIC_1,
  WIRE_VERSION,
} from '../../src/limits.js';

/** The schema file of the wire format (the single source both encoders and the decoder follow). */
export const PHOSPHOR_PROTO_URL = new URL('../../src/phosphor.proto', import.meta.url);

// The .proto file is the schema's single source; it is parsed once at load, and protobufjs
// generates specialised encode/decode functions from it.
const root = protobuf.parse(readFileSync(PHOSPHOR_PROTO_URL, 'utf8')).root;
const EventMessage = root.lookupType('phosphor.wire.v1.Event');
const BatchMessage = root.lookupType('phosphor.wire.v1.Batch');

const TYPE_TO_WIRE: Record<EventType, number> = { REQ: 1, IN: 2, OUT: 3, REP: 4 };
/** Field 6 (`Batch.events`), wire type 2 (length-delimited). */
const EVENTS_FIELD_TAG = (6 << 3) | 2;

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
  if (hmacKey) computeDatagramMac(hmacKey, out.subarray(0, WIRE_HEADER_BYTES), payload).copy(out, WIRE_HEADER_BYTES);
  return out;
}

/** Convenience for tests and bridges: encodes whole events into one datagram. */
export function encodeBatch(batch: Batch, hmacKey?: Buffer): Buffer {
  return encodeDatagram(batch, batch.events.map(encodeEvent), hmacKey);
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

function varintBytes(value: number): number {
  let bytes = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    bytes++;
  }
  return bytes;
}

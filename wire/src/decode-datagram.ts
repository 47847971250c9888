import { timingSafeEqual } from 'node:crypto';
import { computeDatagramMac } from './datagram-mac.js';
import type { Batch, EventType, TraceEvent } from './event.js';
import { type BufferSlicers, InternTable } from './intern-table.js';
import {
  MAX_ID_LENGTH,
  MAX_NAME_LENGTH,
  MAX_TEXT_LENGTH,
  WIRE_FLAG_HMAC,
  WIRE_HEADER_BYTES,
  WIRE_HMAC_BYTES,
  WIRE_MAGIC_0,
  WIRE_MAGIC_1,
  WIRE_VERSION,
} from './limits.js';
import { validateBatchHeader, validateEvent } from './validate-event.js';

/** Event type numbers on the wire (phosphor.proto `EventType`). */
const WIRE_TO_TYPE: (EventType | undefined)[] = [undefined, 'REQ', 'IN', 'OUT', 'REP'];

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
  if (hmacKey) {
    const payload = datagram.subarray(payloadStart);
    if (!hasMac)
      return { ok: false, reason: 'missing_hmac', detail: 'a shared key is configured but the datagram has no HMAC' };
    const expected = computeDatagramMac(hmacKey, datagram.subarray(0, WIRE_HEADER_BYTES), payload);
    if (!timingSafeEqual(expected, datagram.subarray(WIRE_HEADER_BYTES, payloadStart))) {
      return { ok: false, reason: 'bad_hmac', detail: 'HMAC does not match the shared key' };
    }
  }
  return decodePayload(datagram, payloadStart);
}

/*
 * Decoding is hand-written (the encoder side uses protobufjs and DatagramWriter): the collector
 * decodes every event it receives, and protobufjs builds an intermediate message per event and
 * decodes every string afresh — ~2 µs per event, most of the collector's budget. This reader
 * walks the bytes once, builds the TraceEvent directly, and interns short names (service,
 * endpoint, host, zone, error code, tag key), which repeat in nearly every event. It accepts
 * what phosphor.proto allows: fields in any order, unknown fields (skipped, groups included), a
 * repeated scalar field (last one wins). A known field with the wrong wire type, a length
 * running past its message, a truncated varint or a stray end-group makes the whole datagram
 * malformed, like a protobufjs decode failure.
 */

/** Protobuf wire types. */
const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_START_GROUP = 3;
const WIRE_END_GROUP = 4;
const WIRE_FIXED32 = 5;
/** A varint is at most 10 bytes (64 bits, 7 per byte); longer is malformed. */
const MAX_VARINT_BYTES = 10;
/**
 * Nested groups skipped at most: a hostile datagram of nested start-groups must not exhaust the
 * stack. Groups are deprecated and never written by Phosphor, so any depth is generous.
 */
const MAX_GROUP_DEPTH = 32;
/**
 * Interned strings: short names (services, endpoints, hosts, zones, error codes, tag keys) repeat
 * in nearly every event; ids repeat within a hop (REQ/REP, IN/OUT share a datagram) and a trace.
 * 8192 name slots hold far more names than a deployment has; 4096 id slots cover the hops of
 * the last few hundred datagrams. Both are fixed-size, so hostile variety only evicts entries.
 */
const NAME_SLOTS = 8192;
const ID_SLOTS = 4096;
function decodeUtf8(buf: Buffer, start: number, end: number): string {
  return (buf as unknown as BufferSlicers).utf8Slice(start, end);
}

/** Thrown inside the reader only; decodeDatagram turns it into a `malformed` result. */
class MalformedPayload extends Error {}

/** Cursor over one datagram's protobuf payload; one instance is reused (decoding is synchronous). */
class PayloadReader {
  private readonly names = new InternTable(NAME_SLOTS);
  private readonly ids = new InternTable(ID_SLOTS);
  buf: Buffer = Buffer.alloc(0);
  view: DataView = new DataView(new ArrayBuffer(8));
  pos = 0;
  /** End of the message being read. */
  end = 0;

  reset(datagram: Uint8Array, start: number): void {
    this.buf = Buffer.isBuffer(datagram)
      ? datagram
      : Buffer.from(datagram.buffer, datagram.byteOffset, datagram.byteLength);
    this.view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
    this.pos = start;
    this.end = datagram.length;
  }

  /** Reads a varint as an unsigned 32-bit number (higher bits dropped, as protobufjs does). */
  varint32(): number {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    // Tags and short lengths are one byte: the common case first.
    if (pos < end && (buf[pos] as number) < 0x80) {
      this.pos = pos + 1;
      return buf[pos] as number;
    }
    let value = 0;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      if (pos >= end) throw new MalformedPayload(`truncated varint at byte ${pos}`);
      const byte = buf[pos++] as number;
      if (i < 5) value |= (byte & 0x7f) << (7 * i);
      if (byte < 0x80) {
        this.pos = pos;
        return value >>> 0;
      }
    }
    throw new MalformedPayload(`varint longer than ${MAX_VARINT_BYTES} bytes at byte ${pos}`);
  }

  double(field: string): number {
    if (this.end - this.pos < 8) throw new MalformedPayload(`${field}: truncated double at byte ${this.pos}`);
    const value = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return value;
  }

  /** Reads a length prefix; returns the end offset of the length-delimited field. */
  lengthEnd(field: string): number {
    const length = this.varint32();
    if (length > this.end - this.pos) {
      throw new MalformedPayload(`${field}: length ${length} runs past the end of its message at byte ${this.pos}`);
    }
    return this.pos + length;
  }

  /** A string decoded afresh (ids, descriptions, tag values: mostly unique). */
  string(field: string): string {
    const end = this.lengthEnd(field);
    const start = this.pos;
    this.pos = end;
    return start === end ? '' : decodeUtf8(this.buf, start, end);
  }

  /** A service, endpoint, host, zone, error code or tag key, interned (see {@link InternTable}). */
  name(field: string): string {
    return this.interned(field, this.names);
  }

  /** A trace or span id, interned in its own table so ids never evict names. */
  id(field: string): string {
    return this.interned(field, this.ids);
  }

  private interned(field: string, table: InternTable): string {
    const end = this.lengthEnd(field);
    const start = this.pos;
    this.pos = end;
    return start === end ? '' : table.get(this.buf, this.view, start, end);
  }

  /** Skips a field of an unknown number. */
  skip(wireType: number, depth = 0): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint32();
        return;
      case WIRE_FIXED64:
        this.advance(8);
        return;
      case WIRE_LEN:
        this.pos = this.lengthEnd('unknown field');
        return;
      case WIRE_FIXED32:
        this.advance(4);
        return;
      case WIRE_START_GROUP: {
        if (depth >= MAX_GROUP_DEPTH) throw new MalformedPayload(`groups nested deeper than ${MAX_GROUP_DEPTH}`);
        for (;;) {
          const type = this.varint32() & 7;
          if (type === WIRE_END_GROUP) return;
          this.skip(type, depth + 1);
        }
      }
      default:
        throw new MalformedPayload(`invalid wire type ${wireType} at byte ${this.pos}`);
    }
  }

  private advance(bytes: number): void {
    if (this.end - this.pos < bytes) throw new MalformedPayload(`truncated field at byte ${this.pos}`);
    this.pos += bytes;
  }
}

/** Created on the first decode: processes that only encode (every traced service) never pay for its tables. */
let reader: PayloadReader | undefined;

function expectWireType(actual: number, expected: number, field: string): void {
  if (actual !== expected) throw new MalformedPayload(`${field}: wire type ${actual}, expected ${expected}`);
}

/** Decodes the Batch payload starting at `start`; never throws. */
function decodePayload(datagram: Uint8Array, start: number): DecodeResult {
  reader ??= new PayloadReader();
  const r = reader;
  r.reset(datagram, start);
  let tracerId = '';
  let sequence = 0;
  let service = '';
  let hostname = '';
  let sentAtMicros = 0;
  let bufferFull = 0;
  let tooLarge = 0;
  let sendError = 0;
  let sampledOut = 0;
  const events: TraceEvent[] = [];
  let invalidEvents = 0;
  let firstInvalidReason: string | undefined;
  try {
    while (r.pos < r.end) {
      const tag = r.varint32();
      const wireType = tag & 7;
      switch (tag >>> 3) {
        case 6: {
          expectWireType(wireType, WIRE_LEN, 'events');
          const end = r.lengthEnd('events');
          const outer = r.end;
          r.end = end;
          const event = readEvent(r);
          r.end = outer;
          const problem = typeof event === 'string' ? event : plainlyValid(event) ? undefined : validateEvent(event);
          if (problem !== undefined) {
            invalidEvents++;
            firstInvalidReason ??= problem;
          } else {
            events.push(event as TraceEvent);
          }
          break;
        }
        case 1:
          expectWireType(wireType, WIRE_LEN, 'tracerId');
          tracerId = r.name('tracerId');
          break;
        case 2:
          expectWireType(wireType, WIRE_VARINT, 'sequence');
          sequence = r.varint32();
          break;
        case 3:
          expectWireType(wireType, WIRE_LEN, 'service');
          service = r.name('service');
          break;
        case 4:
          expectWireType(wireType, WIRE_LEN, 'hostname');
          hostname = r.name('hostname');
          break;
        case 5: {
          expectWireType(wireType, WIRE_LEN, 'drops');
          const end = r.lengthEnd('drops');
          const outer = r.end;
          r.end = end;
          // A repeated message field replaces the earlier one (protobufjs semantics).
          bufferFull = tooLarge = sendError = sampledOut = 0;
          while (r.pos < end) {
            const dropTag = r.varint32();
            const field = dropTag >>> 3;
            if (field >= 1 && field <= 4) {
              expectWireType(dropTag & 7, WIRE_FIXED64, 'drops');
              const value = r.double('drops');
              if (field === 1) bufferFull = value;
              else if (field === 2) tooLarge = value;
              else if (field === 3) sendError = value;
              else sampledOut = value;
            } else {
              r.skip(dropTag & 7);
            }
          }
          r.end = outer;
          break;
        }
        case 7:
          expectWireType(wireType, WIRE_FIXED64, 'sentAtMicros');
          sentAtMicros = r.double('sentAtMicros');
          break;
        default:
          r.skip(wireType);
      }
    }
  } catch (err) {
    if (!(err instanceof MalformedPayload)) throw err;
    return { ok: false, reason: 'malformed', detail: `protobuf decode failed: ${err.message}` };
  }
  const headerProblem = validateBatchHeader(tracerId, service, hostname, sentAtMicros);
  if (headerProblem) return { ok: false, reason: 'malformed', detail: headerProblem };
  const result: DecodeResult = {
    ok: true,
    batch: {
      tracerId,
      sequence,
      service,
      hostname,
      sentAtMicros,
      drops: { bufferFull, tooLarge, sendError, sampledOut },
      events,
    },
    invalidEvents,
  };
  if (firstInvalidReason !== undefined) result.firstInvalidReason = firstInvalidReason;
  return result;
}

/**
 * A quick sufficient check for the common event (no tags, every field well within its limit):
 * true means validateEvent would accept it; false means ask validateEvent, which names the problem.
 */
function plainlyValid(e: TraceEvent): boolean {
  return (
    e.tags === undefined &&
    e.traceId.length > 0 &&
    e.traceId.length <= MAX_ID_LENGTH &&
    e.spanId.length > 0 &&
    e.spanId.length <= MAX_ID_LENGTH &&
    (e.parentSpanId === undefined || e.parentSpanId.length <= MAX_ID_LENGTH) &&
    e.from.length <= MAX_NAME_LENGTH &&
    e.fromEndpoint.length <= MAX_NAME_LENGTH &&
    e.to.length <= MAX_NAME_LENGTH &&
    e.toEndpoint.length <= MAX_NAME_LENGTH &&
    e.hostname.length <= MAX_NAME_LENGTH &&
    (e.zone === undefined || e.zone.length <= MAX_NAME_LENGTH) &&
    (e.errorCode === undefined || e.errorCode.length <= MAX_NAME_LENGTH) &&
    (e.errorDescription === undefined || e.errorDescription.length <= MAX_TEXT_LENGTH) &&
    e.timestampMicros > 0 &&
    e.timestampMicros < Number.POSITIVE_INFINITY &&
    (e.durationMicros === undefined || (e.durationMicros >= 0 && e.durationMicros < Number.POSITIVE_INFINITY))
  );
}

/** Reads one Event message (the reader's `end` is the message's end); a string names an invalid type. */
function readEvent(r: PayloadReader): TraceEvent | string {
  let type = 0;
  let traceId = '';
  let spanId = '';
  let parentSpanId = '';
  let from = '';
  let fromEndpoint = '';
  let to = '';
  let toEndpoint = '';
  let timestampMicros = 0;
  let hostname = '';
  let zone = '';
  let durationMicros: number | undefined;
  let errorCode = '';
  let errorDescription = '';
  let tags: Record<string, string> | undefined;
  let flags = 0;
  while (r.pos < r.end) {
    const tag = r.varint32();
    const wireType = tag & 7;
    switch (tag >>> 3) {
      case 1:
        expectWireType(wireType, WIRE_VARINT, 'type');
        // An enum is an int32 on the wire.
        type = r.varint32() | 0;
        break;
      case 2:
        expectWireType(wireType, WIRE_LEN, 'traceId');
        traceId = r.id('traceId');
        break;
      case 3:
        expectWireType(wireType, WIRE_LEN, 'spanId');
        spanId = r.id('spanId');
        break;
      case 4:
        expectWireType(wireType, WIRE_LEN, 'parentSpanId');
        parentSpanId = r.id('parentSpanId');
        break;
      case 5:
        expectWireType(wireType, WIRE_LEN, 'from');
        from = r.name('from');
        break;
      case 6:
        expectWireType(wireType, WIRE_LEN, 'fromEndpoint');
        fromEndpoint = r.name('fromEndpoint');
        break;
      case 7:
        expectWireType(wireType, WIRE_LEN, 'to');
        to = r.name('to');
        break;
      case 8:
        expectWireType(wireType, WIRE_LEN, 'toEndpoint');
        toEndpoint = r.name('toEndpoint');
        break;
      case 9:
        expectWireType(wireType, WIRE_FIXED64, 'timestampMicros');
        timestampMicros = r.double('timestampMicros');
        break;
      case 10:
        expectWireType(wireType, WIRE_LEN, 'hostname');
        hostname = r.name('hostname');
        break;
      case 11:
        expectWireType(wireType, WIRE_LEN, 'zone');
        zone = r.name('zone');
        break;
      case 12:
        expectWireType(wireType, WIRE_FIXED64, 'durationMicros');
        durationMicros = r.double('durationMicros');
        break;
      case 13:
        expectWireType(wireType, WIRE_LEN, 'errorCode');
        errorCode = r.name('errorCode');
        break;
      case 14:
        expectWireType(wireType, WIRE_LEN, 'errorDescription');
        errorDescription = r.string('errorDescription');
        break;
      case 15:
        expectWireType(wireType, WIRE_LEN, 'tags');
        tags = readTag(r, tags ?? {});
        break;
      case 16:
        expectWireType(wireType, WIRE_VARINT, 'flags');
        flags = r.varint32();
        break;
      default:
        r.skip(wireType);
    }
  }
  const eventType = type >= 1 && type <= 4 ? WIRE_TO_TYPE[type] : undefined;
  if (eventType === undefined) return `type: unknown event type ${type}`;
  const event: TraceEvent = {
    type: eventType,
    traceId,
    spanId,
    from,
    fromEndpoint,
    to,
    toEndpoint,
    timestampMicros,
    hostname,
    flags,
  };
  if (parentSpanId) event.parentSpanId = parentSpanId;
  if (zone) event.zone = zone;
  if (durationMicros !== undefined) event.durationMicros = durationMicros;
  if (errorCode) event.errorCode = errorCode;
  if (errorDescription) event.errorDescription = errorDescription;
  if (tags) event.tags = tags;
  return event;
}

/** Reads one map entry of `Event.tags` into `tags` (a missing key or value is ''; a repeated key: last wins). */
function readTag(r: PayloadReader, tags: Record<string, string>): Record<string, string> {
  const end = r.lengthEnd('tags');
  const outer = r.end;
  r.end = end;
  let key = '';
  let value = '';
  while (r.pos < end) {
    const tag = r.varint32();
    const field = tag >>> 3;
    if (field === 1) {
      expectWireType(tag & 7, WIRE_LEN, 'tags');
      key = r.name('tags');
    } else if (field === 2) {
      expectWireType(tag & 7, WIRE_LEN, 'tags');
      value = r.string('tags');
    } else {
      r.skip(tag & 7);
    }
  }
  r.end = outer;
  // A "__proto__" key must become an own property, not the object's prototype.
  if (key === '__proto__')
    Object.defineProperty(tags, key, { value, enumerable: true, writable: true, configurable: true });
  else tags[key] = value;
  return tags;
}

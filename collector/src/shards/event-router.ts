import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  type Batch,
  type DatagramRejection,
  MAX_ID_LENGTH,
  MAX_NAME_LENGTH,
  WIRE_FLAG_HMAC,
  WIRE_HEADER_BYTES,
  WIRE_HMAC_BYTES,
  WIRE_MAGIC_0,
  WIRE_MAGIC_1,
  WIRE_VERSION,
} from '@phosphor/wire';
import { hashIdBytes, ownerOfIdBytes } from './trace-owner.js';

/*
 * The receiving side of a sharded collector does not decode events: it walks the datagram's
 * protobuf once, checks it with exactly the rules of the wire codec's decoder (so a datagram is
 * rejected here, once, for the same reason the single-core collector would give), reads only the
 * batch header (for per-client loss) and each event's trace id bytes, and copies each event's
 * frame — tag, length and body, as received — to the shard owning the trace. Event validation
 * (type, required ids, limits) stays with the shard that decodes the event, so each event is
 * validated and counted once. The differential test in collector/test/shards/event-router.test.ts
 * holds this walk to decodeDatagram on random and mutated datagrams.
 */

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_START_GROUP = 3;
const WIRE_END_GROUP = 4;
const WIRE_FIXED32 = 5;
/** Same limits as the codec's reader. */
const MAX_VARINT_BYTES = 10;
const MAX_GROUP_DEPTH = 32;
/** Header strings cached at most (tracers × 3 fields); a deployment's tracers fit, hostile variety only clears it. */
const HEADER_STRING_CACHE = 4096;
/** Field 6 of Batch: events. */
const EVENTS_FIELD = 6;
/** Field 2 of Event: trace_id. */
const TRACE_ID_FIELD = 2;

/** Thrown inside the walk only; becomes a `malformed` result. */
class Malformed extends Error {}

/** Outcome of routing one datagram. */
export type RouteResult =
  | {
      ok: true;
      /** The batch header (for per-client loss); `events` is always empty here. */
      header: Batch;
      /** Event frames handed to shards. */
      events: number;
    }
  | { ok: false; reason: DatagramRejection; detail: string };

/** Receives routed event frames: `bytes[start, end)` holds `frames` consecutive frames belonging to `shard`. */
export interface FrameSink {
  append(shard: number, bytes: Uint8Array, start: number, end: number, frames: number): void;
}

/**
 * Checks a datagram and splits its events among shards by trace id, copying frames to `sink`
 * only once the whole datagram has proved well-formed (a malformed datagram routes nothing).
 */
export class EventRouter {
  private readonly key: Buffer | undefined;
  private buf: Uint8Array = new Uint8Array(0);
  private view: DataView = new DataView(new ArrayBuffer(8));
  private pos = 0;
  private end = 0;
  private readonly headerStrings = new Map<number, { bytes: Uint8Array; value: string }>();
  /** Per event of the current datagram: frame start, frame end, owner shard. */
  private frames = new Int32Array(3 * 256);

  constructor(
    private readonly shardCount: number,
    private readonly sink: FrameSink,
    hmacKey?: string,
  ) {
    this.key = hmacKey ? Buffer.from(hmacKey, 'utf8') : undefined;
  }

  /** Checks `datagram`, hands its event frames to their shards and returns the header. Never throws. */
  route(datagram: Uint8Array): RouteResult {
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
    if (this.key) {
      if (!hasMac)
        return { ok: false, reason: 'missing_hmac', detail: 'a shared key is configured but the datagram has no HMAC' };
      const expected = createHmac('sha256', this.key)
        .update(datagram.subarray(0, WIRE_HEADER_BYTES))
        .update(datagram.subarray(payloadStart))
        .digest()
        .subarray(0, WIRE_HMAC_BYTES);
      if (!timingSafeEqual(expected, datagram.subarray(WIRE_HEADER_BYTES, payloadStart))) {
        return { ok: false, reason: 'bad_hmac', detail: 'HMAC does not match the shared key' };
      }
    }
    this.buf = datagram;
    this.view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
    this.pos = payloadStart;
    this.end = datagram.length;
    let header: Batch;
    let count: number;
    try {
      ({ header, count } = this.walkBatch());
    } catch (err) {
      if (!(err instanceof Malformed)) throw err;
      return { ok: false, reason: 'malformed', detail: `protobuf decode failed: ${err.message}` };
    }
    const problem =
      checkLength('tracerId', header.tracerId, MAX_ID_LENGTH) ??
      checkLength('service', header.service, MAX_NAME_LENGTH) ??
      checkLength('hostname', header.hostname, MAX_NAME_LENGTH) ??
      (Number.isFinite(header.sentAtMicros) ? undefined : 'sentAtMicros: must be finite');
    if (problem) return { ok: false, reason: 'malformed', detail: problem };
    // Adjacent frames of the same shard go as one run (one copy instead of one per event).
    const frames = this.frames;
    let runStart = 0;
    for (let i = 1; i <= count; i++) {
      const shard = frames[3 * runStart + 2] as number;
      if (i < count && frames[3 * i + 2] === shard && frames[3 * i] === frames[3 * i - 2]) continue;
      this.sink.append(shard, datagram, frames[3 * runStart] as number, frames[3 * i - 2] as number, i - runStart);
      runStart = i;
    }
    return { ok: true, header, events: count };
  }

  private walkBatch(): { header: Batch; count: number } {
    let tracerId = '';
    let sequence = 0;
    let service = '';
    let hostname = '';
    let sentAtMicros = 0;
    let bufferFull = 0;
    let tooLarge = 0;
    let sendError = 0;
    let sampledOut = 0;
    let count = 0;
    while (this.pos < this.end) {
      const frameStart = this.pos;
      const tag = this.varint32();
      const wireType = tag & 7;
      switch (tag >>> 3) {
        case EVENTS_FIELD: {
          expectWireType(wireType, WIRE_LEN, 'events');
          const end = this.lengthEnd('events');
          const outer = this.end;
          this.end = end;
          const owner = this.walkEvent();
          this.end = outer;
          if (3 * count + 3 > this.frames.length) {
            const grown = new Int32Array(this.frames.length * 2);
            grown.set(this.frames);
            this.frames = grown;
          }
          this.frames[3 * count] = frameStart;
          this.frames[3 * count + 1] = end;
          this.frames[3 * count + 2] = owner;
          count++;
          break;
        }
        case 1:
          expectWireType(wireType, WIRE_LEN, 'tracerId');
          tracerId = this.string('tracerId');
          break;
        case 2:
          expectWireType(wireType, WIRE_VARINT, 'sequence');
          sequence = this.varint32();
          break;
        case 3:
          expectWireType(wireType, WIRE_LEN, 'service');
          service = this.string('service');
          break;
        case 4:
          expectWireType(wireType, WIRE_LEN, 'hostname');
          hostname = this.string('hostname');
          break;
        case 5: {
          expectWireType(wireType, WIRE_LEN, 'drops');
          const end = this.lengthEnd('drops');
          const outer = this.end;
          this.end = end;
          // A repeated message field replaces the earlier one (as the decoder does).
          bufferFull = tooLarge = sendError = sampledOut = 0;
          while (this.pos < end) {
            const dropTag = this.varint32();
            const field = dropTag >>> 3;
            if (field >= 1 && field <= 4) {
              expectWireType(dropTag & 7, WIRE_FIXED64, 'drops');
              const value = this.double('drops');
              if (field === 1) bufferFull = value;
              else if (field === 2) tooLarge = value;
              else if (field === 3) sendError = value;
              else sampledOut = value;
            } else {
              this.skip(dropTag & 7);
            }
          }
          this.end = outer;
          break;
        }
        case 7:
          expectWireType(wireType, WIRE_FIXED64, 'sentAtMicros');
          sentAtMicros = this.double('sentAtMicros');
          break;
        default:
          this.skip(wireType);
      }
    }
    return {
      header: {
        tracerId,
        sequence,
        service,
        hostname,
        sentAtMicros,
        drops: { bufferFull, tooLarge, sendError, sampledOut },
        events: [],
      },
      count,
    };
  }

  /** Walks one Event (pos..end) with the decoder's wire-type rules; returns the owner of its last trace_id. */
  private walkEvent(): number {
    let idStart = 0;
    let idEnd = 0;
    const buf = this.buf;
    const end = this.end;
    while (this.pos < end) {
      // Event tags are one byte for fields 1–15 and two for field 16: the common case inline.
      let tag = buf[this.pos] as number;
      if (tag < 0x80) this.pos++;
      else tag = this.varint32();
      const wireType = tag & 7;
      const field = tag >>> 3;
      const expected = field < EVENT_WIRE_TYPES.length ? (EVENT_WIRE_TYPES[field] as number) : -1;
      if (expected === -1) {
        this.skip(wireType);
        continue;
      }
      if (wireType !== expected) {
        throw new Malformed(`${EVENT_FIELD_NAMES[field]}: wire type ${wireType}, expected ${expected}`);
      }
      if (expected === WIRE_LEN) {
        if (field === 15) {
          this.walkTag();
          continue;
        }
        // A length: one byte for anything under 128 bytes, as nearly every field is.
        let length = buf[this.pos] as number;
        if (length < 0x80) this.pos++;
        else length = this.varint32();
        if (length > end - this.pos) {
          throw new Malformed(
            `${EVENT_FIELD_NAMES[field]}: length ${length} runs past the end of its message at byte ${this.pos}`,
          );
        }
        if (field === TRACE_ID_FIELD) {
          idStart = this.pos;
          idEnd = this.pos + length;
        }
        this.pos += length;
      } else if (expected === WIRE_FIXED64) {
        if (end - this.pos < 8)
          throw new Malformed(`${EVENT_FIELD_NAMES[field]}: truncated double at byte ${this.pos}`);
        this.pos += 8;
      } else {
        this.varint32();
      }
    }
    // An event without a trace id is invalid; its shard (0) decodes and counts it.
    return idEnd > idStart ? ownerOfIdBytes(buf, idStart, idEnd, this.shardCount) : 0;
  }

  private walkTag(): void {
    const end = this.lengthEnd('tags');
    const outer = this.end;
    this.end = end;
    while (this.pos < end) {
      const tag = this.varint32();
      const field = tag >>> 3;
      if (field === 1 || field === 2) {
        expectWireType(tag & 7, WIRE_LEN, 'tags');
        this.pos = this.lengthEnd('tags');
      } else {
        this.skip(tag & 7);
      }
    }
    this.end = outer;
  }

  /** Reads a varint as an unsigned 32-bit number (higher bits dropped), as the decoder does. */
  private varint32(): number {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    if (pos < end && (buf[pos] as number) < 0x80) {
      this.pos = pos + 1;
      return buf[pos] as number;
    }
    let value = 0;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      if (pos >= end) throw new Malformed(`truncated varint at byte ${pos}`);
      const byte = buf[pos++] as number;
      if (i < 5) value |= (byte & 0x7f) << (7 * i);
      if (byte < 0x80) {
        this.pos = pos;
        return value >>> 0;
      }
    }
    throw new Malformed(`varint longer than ${MAX_VARINT_BYTES} bytes at byte ${pos}`);
  }

  private double(field: string): number {
    if (this.end - this.pos < 8) throw new Malformed(`${field}: truncated double at byte ${this.pos}`);
    const value = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return value;
  }

  private lengthEnd(field: string): number {
    const length = this.varint32();
    if (length > this.end - this.pos) {
      throw new Malformed(`${field}: length ${length} runs past the end of its message at byte ${this.pos}`);
    }
    return this.pos + length;
  }

  /**
   * A header string (tracer id, service, host): the same few values arrive in every datagram of a
   * tracer, so strings are cached by their bytes' hash (bytes compared on a hit) instead of being
   * decoded anew per datagram. Bounded: the cache is emptied when it reaches HEADER_STRING_CACHE.
   */
  private string(field: string): string {
    const end = this.lengthEnd(field);
    const start = this.pos;
    this.pos = end;
    if (start === end) return '';
    const buf = this.buf;
    const hash = hashIdBytes(buf, start, end);
    const cached = this.headerStrings.get(hash);
    if (cached !== undefined && cached.bytes.length === end - start) {
      const bytes = cached.bytes;
      let i = 0;
      while (i < bytes.length && bytes[i] === buf[start + i]) i++;
      if (i === bytes.length) return cached.value;
    }
    if (this.headerStrings.size >= HEADER_STRING_CACHE) this.headerStrings.clear();
    const bytes = buf.slice(start, end);
    const value = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
    this.headerStrings.set(hash, { bytes, value });
    return value;
  }

  private skip(wireType: number, depth = 0): void {
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
        if (depth >= MAX_GROUP_DEPTH) throw new Malformed(`groups nested deeper than ${MAX_GROUP_DEPTH}`);
        for (;;) {
          const type = this.varint32() & 7;
          if (type === WIRE_END_GROUP) return;
          this.skip(type, depth + 1);
        }
      }
      default:
        throw new Malformed(`invalid wire type ${wireType} at byte ${this.pos}`);
    }
  }

  private advance(bytes: number): void {
    if (this.end - this.pos < bytes) throw new Malformed(`truncated field at byte ${this.pos}`);
    this.pos += bytes;
  }
}

/** Wire type of each known Event field by number; -1 for unknown numbers (skipped). */
const EVENT_WIRE_TYPES: readonly number[] = [
  -1,
  WIRE_VARINT, // type
  WIRE_LEN, // trace_id
  WIRE_LEN, // span_id
  WIRE_LEN, // parent_span_id
  WIRE_LEN, // from
  WIRE_LEN, // from_endpoint
  WIRE_LEN, // to
  WIRE_LEN, // to_endpoint
  WIRE_FIXED64, // timestamp_micros
  WIRE_LEN, // hostname
  WIRE_LEN, // zone
  WIRE_FIXED64, // duration_micros
  WIRE_LEN, // error_code
  WIRE_LEN, // error_description
  WIRE_LEN, // tags
  WIRE_VARINT, // flags
];

/** Event field names by number, for messages naming the bad field as the decoder does. */
const EVENT_FIELD_NAMES: readonly (string | undefined)[] = [
  undefined,
  'type',
  'traceId',
  'spanId',
  'parentSpanId',
  'from',
  'fromEndpoint',
  'to',
  'toEndpoint',
  'timestampMicros',
  'hostname',
  'zone',
  'durationMicros',
  'errorCode',
  'errorDescription',
  'tags',
  'flags',
];

function expectWireType(actual: number, expected: number, field: string): void {
  if (actual !== expected) throw new Malformed(`${field}: wire type ${actual}, expected ${expected}`);
}

function checkLength(field: string, value: string, maxLength: number): string | undefined {
  return value.length > maxLength ? `${field}: longer than ${maxLength} chars` : undefined;
}

import {
  BATCH_EVENTS_FIELD,
  type Batch,
  BatchHeaderFields,
  type BatchHeaderSource,
  checkDatagramEnvelope,
  type DatagramRejection,
  EventFlags,
  expectWireType,
  MalformedPayload,
  ProtobufReader,
  readBatchHeaderField,
  validateBatchHeader,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
} from '@phosphor/wire';
import { hashIdBytes, type TraceOwners, traceOwners } from './trace-owner.js';

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

/** Int32 slots per frame in `EventRouter.frames`. */
const FRAME_STRIDE = 4;

/** Header strings cached at most (tracers × 3 fields); a deployment's tracers fit, hostile variety only clears it. */
const HEADER_STRING_CACHE = 4096;
/** Field 2 of Event: trace_id. */
const TRACE_ID_FIELD = 2;
/** Field 16 of Event: flags. */
const FLAGS_FIELD = 16;

/** Outcome of routing one datagram. */
export type RouteResult =
  | {
      ok: true;
      /** The batch header (for per-client loss); `events` is always empty here. */
      header: Batch;
      /** Events handed to shards (a frame standing for a hop side's two events counts two). */
      events: number;
    }
  | { ok: false; reason: DatagramRejection; detail: string };

/** Receives routed event frames: `bytes[start, end)` holds consecutive frames of `events` events belonging to `shard`. */
export interface FrameSink {
  append(shard: number, bytes: Uint8Array, start: number, end: number, events: number): void;
}

/**
 * Checks a datagram and splits its events among shards by trace id, copying frames to `sink`
 * only once the whole datagram has proved well-formed (a malformed datagram routes nothing).
 */
export class EventRouter {
  private readonly key: Buffer | undefined;
  private readonly reader = new HeaderCachingReader();
  private readonly header = new BatchHeaderFields();
  /** Per event frame of the current datagram: frame start, frame end, owner shard, events it stands for. */
  private frames = new Int32Array(FRAME_STRIDE * 256);
  /** Events the frame walked last stands for (see walkEvent). */
  private eventsInFrame = 1;
  private readonly owners: TraceOwners;

  /** `owners`: the collector's trace ownership (a number: that many equal slices). */
  constructor(
    owners: TraceOwners | number,
    private readonly sink: FrameSink,
    hmacKey?: string,
  ) {
    this.owners = traceOwners(owners);
    this.key = hmacKey ? Buffer.from(hmacKey, 'utf8') : undefined;
  }

  /** Checks `datagram`, hands its event frames to their shards and returns the header. Never throws. */
  route(datagram: Uint8Array): RouteResult {
    const payloadStart = checkDatagramEnvelope(datagram, this.key);
    if (typeof payloadStart !== 'number') return payloadStart;
    this.reader.reset(datagram, payloadStart);
    let count: number;
    try {
      count = this.walkBatch();
    } catch (err) {
      if (!(err instanceof MalformedPayload)) throw err;
      return { ok: false, reason: 'malformed', detail: `protobuf decode failed: ${err.message}` };
    }
    const h = this.header;
    const problem = validateBatchHeader(h.tracerId, h.service, h.hostname, h.sentAtMicros);
    if (problem) return { ok: false, reason: 'malformed', detail: problem };
    // Adjacent frames of the same shard go as one run (one copy instead of one per event).
    const frames = this.frames;
    let runStart = 0;
    let runEvents = 0;
    let events = 0;
    for (let i = 1; i <= count; i++) {
      runEvents += frames[FRAME_STRIDE * i - 1] as number;
      const shard = frames[FRAME_STRIDE * runStart + 2] as number;
      if (
        i < count &&
        frames[FRAME_STRIDE * i + 2] === shard &&
        frames[FRAME_STRIDE * i] === frames[FRAME_STRIDE * i - 3]
      )
        continue;
      this.sink.append(
        shard,
        datagram,
        frames[FRAME_STRIDE * runStart] as number,
        frames[FRAME_STRIDE * i - 3] as number,
        runEvents,
      );
      events += runEvents;
      runEvents = 0;
      runStart = i;
    }
    return { ok: true, header: h.toBatch([]), events };
  }

  /** Walks the Batch: header fields into `header`, event frames into `frames`; returns the frame count. */
  private walkBatch(): number {
    const r = this.reader;
    this.header.reset();
    let count = 0;
    while (r.pos < r.end) {
      const frameStart = r.pos;
      const tag = r.varint32();
      const wireType = tag & 7;
      const field = tag >>> 3;
      if (field !== BATCH_EVENTS_FIELD) {
        readBatchHeaderField(r, field, wireType, this.header);
        continue;
      }
      expectWireType(wireType, WIRE_LEN, 'events');
      const end = r.lengthEnd('events');
      const outer = r.end;
      r.end = end;
      const owner = this.walkEvent();
      r.end = outer;
      if (FRAME_STRIDE * count + FRAME_STRIDE > this.frames.length) {
        const grown = new Int32Array(this.frames.length * 2);
        grown.set(this.frames);
        this.frames = grown;
      }
      this.frames[FRAME_STRIDE * count] = frameStart;
      this.frames[FRAME_STRIDE * count + 1] = end;
      this.frames[FRAME_STRIDE * count + 2] = owner;
      this.frames[FRAME_STRIDE * count + 3] = this.eventsInFrame;
      count++;
    }
    return count;
  }

  /**
   * Walks one Event (pos..end) with the decoder's wire-type rules; returns the owner of its last
   * trace_id. The cursor is kept in a local (written back around the reader's calls for the rare
   * cases: multi-byte tags and varints, unknown fields, tags), which measured about a third
   * cheaper per event than advancing the reader's field byte by byte.
   */
  private walkEvent(): number {
    let idStart = 0;
    let idEnd = 0;
    let flags = 0;
    const r = this.reader;
    const buf = r.buf;
    const end = r.end;
    let pos = r.pos;
    while (pos < end) {
      // Event tags are one byte for fields 1–15 and two for field 16: the common case inline.
      let tag = buf[pos] as number;
      if (tag < 0x80) pos++;
      else {
        r.pos = pos;
        tag = r.varint32();
        pos = r.pos;
      }
      const wireType = tag & 7;
      const field = tag >>> 3;
      const expected = field < EVENT_WIRE_TYPES.length ? (EVENT_WIRE_TYPES[field] as number) : -1;
      if (expected === -1) {
        r.pos = pos;
        r.skip(wireType);
        pos = r.pos;
        continue;
      }
      if (wireType !== expected) {
        throw new MalformedPayload(`${EVENT_FIELD_NAMES[field]}: wire type ${wireType}, expected ${expected}`);
      }
      if (expected === WIRE_LEN) {
        if (field === 15) {
          r.pos = pos;
          this.walkTag();
          pos = r.pos;
          continue;
        }
        // A length: one byte for anything under 128 bytes, as nearly every field is. (At the end
        // of the event the byte read belongs to what follows; the bound check below rejects it.)
        let length = buf[pos] as number;
        if (length < 0x80) pos++;
        else {
          r.pos = pos;
          length = r.varint32();
          pos = r.pos;
        }
        if (length > end - pos) {
          throw new MalformedPayload(
            `${EVENT_FIELD_NAMES[field]}: length ${length} runs past the end of its message at byte ${pos}`,
          );
        }
        if (field === TRACE_ID_FIELD) {
          idStart = pos;
          idEnd = pos + length;
        }
        pos += length;
      } else if (expected === WIRE_FIXED64) {
        if (end - pos < 8) throw new MalformedPayload(`${EVENT_FIELD_NAMES[field]}: truncated double at byte ${pos}`);
        pos += 8;
      } else if (pos < end && (buf[pos] as number) < 0x80) {
        if (field === FLAGS_FIELD) flags = buf[pos] as number;
        pos++;
      } else {
        r.pos = pos;
        const value = r.varint32();
        if (field === FLAGS_FIELD) flags = value;
        pos = r.pos;
      }
    }
    r.pos = pos;
    // A frame standing for its hop side's two events (if valid: its shard decides) counts as two.
    this.eventsInFrame = (flags & EventFlags.carriesStart) === 0 ? 1 : 2;
    // An event without a trace id is invalid; its shard (0) decodes and counts it.
    return idEnd > idStart ? this.owners.ofIdBytes(buf, idStart, idEnd) : 0;
  }

  private walkTag(): void {
    const r = this.reader;
    const end = r.lengthEnd('tags');
    const outer = r.end;
    r.end = end;
    while (r.pos < end) {
      const tag = r.varint32();
      const field = tag >>> 3;
      if (field === 1 || field === 2) {
        expectWireType(tag & 7, WIRE_LEN, 'tags');
        r.pos = r.lengthEnd('tags');
      } else {
        r.skip(tag & 7);
      }
    }
    r.end = outer;
  }
}

/** The protobuf reader with header strings cached by their bytes. */
class HeaderCachingReader extends ProtobufReader implements BatchHeaderSource {
  private readonly headerStrings = new Map<number, { bytes: Uint8Array; value: string }>();

  /**
   * A header string (tracer id, service, host): the same few values arrive in every datagram of a
   * tracer, so strings are cached by their bytes' hash (bytes compared on a hit) instead of being
   * decoded anew per datagram. Bounded: the cache is emptied when it reaches HEADER_STRING_CACHE.
   */
  headerString(field: string): string {
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
    const bytes = new Uint8Array(buf.subarray(start, end));
    const value = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
    this.headerStrings.set(hash, { bytes, value });
    return value;
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

import {
  BATCH_EVENTS_FIELD,
  BATCH_SHARED_FIELD,
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
  SHARED_FORBIDDEN_FIELDS,
  SHARED_REFERENCE_TAG_0,
  SHARED_REFERENCE_TAG_1,
  validateBatchHeader,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
} from '@phosphor/wire';
import { fnv1aOfBytes, type TraceOwners, traceOwners } from './trace-owner.js';

/*
 * The receiving side of a sharded collector does not decode events: it walks the datagram's
 * protobuf once, checks it with exactly the rules of the wire codec's decoder (so a datagram is
 * rejected here, once, for the same reason the single-core collector would give), reads only the
 * batch header (for per-client loss) and each event's trace id bytes, and copies each event's
 * frame — tag, length and body, as received — to the shard owning the trace. Event validation
 * (type, required ids, limits) stays with the shard that decodes the event, so each event is
 * validated and counted once. The differential test in collector/test/shards/event-router.test.ts
 * holds this walk to decodeDatagram on random and mutated datagrams.
 *
 * Shared entries (Batch field 8, docs/wire-format.md "Shared fields") go to a shard with the events
 * that use them. A shard's buffer holds events of many datagrams, so an index into one datagram's
 * entries means nothing there: the sink writes each entry into a shard's buffer once, before the
 * buffer's first event using it, and renumbers the references (`appendReferring`). That takes the
 * reference as the tracer writes it — the event's first field, its only field 18, a one-byte index —
 * so the frame goes as received with that byte patched. Any other form of a reference to a usable
 * entry goes expanded — one frame whose body is the entry's bytes followed by the event's own bytes
 * without its field 18, which protobuf's merge rules (later fields win, map entries accumulate)
 * decode to exactly what decodeDatagram makes of the reference. An event whose reference is not
 * usable (no such entry before it, or an entry holding ids or a reference) is invalid; it goes
 * without its field 18s and with a reference no buffer can satisfy instead (its index as received
 * could name an entry of the shard's buffer), so its shard counts it invalid as decodeDatagram does.
 */

/**
 * Int32 slots per frame in `EventRouter.frames`: frame start, frame end, owner shard, events it
 * stands for, then for a frame with a reference: its entry's index (0: no reference, forwarded as
 * received; UNUSABLE_REFERENCE), body start, and the byte range of its field 18 (start -1: more than
 * one field 18 to strip).
 */
const FRAME_STRIDE = 8;
/** The entry slot of a frame whose reference no entry before it can satisfy (see the comment above). */
const UNUSABLE_REFERENCE = -1;
/**
 * Field 18 with the largest index a reference reads (2^32 − 1): the reference of an event whose own
 * could not be used. No buffer holds that many entries, so its shard finds it unusable too.
 */
const UNUSABLE_REFERENCE_FIELD = new Uint8Array([
  SHARED_REFERENCE_TAG_0,
  SHARED_REFERENCE_TAG_1,
  0xff,
  0xff,
  0xff,
  0xff,
  0x0f,
]);
/** Int32 slots per shared entry in `EventRouter.entries`: start, end, state, events a frame using it counts. */
const ENTRY_STRIDE = 4;
/** Entry states: not walked yet (entries are walked only when referred to), usable, unusable. */
const ENTRY_UNREAD = 0;
const ENTRY_USABLE = 1;
const ENTRY_UNUSABLE = 2;

/** Header strings cached at most (tracers × 3 fields); a deployment's tracers fit, hostile variety only clears it. */
const HEADER_STRING_CACHE = 4096;
/** Field 2 of Event: trace_id. */
const TRACE_ID_FIELD = 2;
/** Field 15 of Event: tags. */
const TAGS_FIELD = 15;
/** Field 16 of Event: flags. */
const FLAGS_FIELD = 16;
/** Field 17 of Event: standard_tags. */
const STANDARD_TAGS_FIELD = 17;
/** Field 18 of Event: shared (a 1-based index into the datagram's shared entries). */
const SHARED_FIELD = 18;

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

/** Receives routed event frames for shards. */
export interface FrameSink {
  /**
   * A datagram's frames follow: entry indexes `appendReferring` is given from here on are the new
   * datagram's. Called before the first frame of a datagram that has shared entries.
   */
  startDatagram(): void;
  /** `bytes[start, end)` holds consecutive frames of `events` events belonging to `shard`. */
  append(shard: number, bytes: Uint8Array, start: number, end: number, events: number): void;
  /**
   * One event frame (of `events` events) for `shard` whose body is `bytes[entryStart, entryEnd)`,
   * `bytes[bodyStart, cutStart)` and `bytes[cutEnd, bodyEnd)` in that order: the sink writes the
   * frame's tag and length itself, so the pieces are copied once, straight into its buffer.
   */
  appendJoined(
    shard: number,
    bytes: Uint8Array,
    entryStart: number,
    entryEnd: number,
    bodyStart: number,
    cutStart: number,
    cutEnd: number,
    bodyEnd: number,
    events: number,
  ): void;
  /**
   * One event frame `bytes[frameStart, frameEnd)` (of `events` events) for `shard` whose reference
   * is the one-byte index `entry` (1–127) at `indexAt`, to the datagram's usable entry
   * `bytes[entryStart, entryEnd)`. The sink writes the entry into `shard`'s buffer unless this
   * datagram's entry `entry` is there already, then the frame as received, its index byte set to
   * the entry's index in that buffer.
   */
  appendReferring(
    shard: number,
    bytes: Uint8Array,
    entry: number,
    entryStart: number,
    entryEnd: number,
    frameStart: number,
    frameEnd: number,
    indexAt: number,
    events: number,
  ): void;
}

/**
 * Checks a datagram and splits its events among shards by trace id, copying frames to `sink`
 * only once the whole datagram has proved well-formed (a malformed datagram routes nothing).
 */
export class EventRouter {
  private readonly key: Buffer | undefined;
  private readonly reader = new HeaderCachingReader();
  private readonly header = new BatchHeaderFields();
  /** Per event frame of the current datagram: see FRAME_STRIDE. */
  private frames = new Int32Array(FRAME_STRIDE * 256);
  /** The current datagram's shared entries, in payload order: see ENTRY_STRIDE. */
  private entries = new Int32Array(ENTRY_STRIDE * 32);
  private entryCount = 0;
  /** Frames with more than one field 18 or an unusable reference are rebuilt here (rare: no encoder writes them). */
  private scratch = new Uint8Array(0);
  /** Events the frame walked last stands for (see walkEvent). */
  private eventsInFrame = 1;
  /** The usable entry the frame walked last refers to (1-based), 0 for none, UNUSABLE_REFERENCE (see walkEvent). */
  private frameEntry = 0;
  /** The byte range of that frame's field 18, the start -1 when it has several (see FRAME_STRIDE). */
  private frameCutStart = 0;
  private frameCutEnd = 0;
  /** What walkMessage read from the message walked last (bit n of `seenFields`: known field n seen). */
  private seenFields = 0;
  private lastFlags = 0;
  private idStart = 0;
  private idEnd = 0;
  private sharedIndex = 0;
  private sharedFieldCount = 0;
  private cutStart = 0;
  private cutEnd = 0;
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
    // Adjacent frames of the same shard go as one run (one copy instead of one per event);
    // frames with a reference go one by one.
    const frames = this.frames;
    const sink = this.sink;
    if (this.entryCount !== 0) sink.startDatagram();
    let events = 0;
    let i = 0;
    while (i < count) {
      const at = FRAME_STRIDE * i;
      const shard = frames[at + 2] as number;
      if (frames[at + 4] !== 0) {
        this.appendWithReference(datagram, at);
        events += frames[at + 3] as number;
        i++;
        continue;
      }
      let runEvents = frames[at + 3] as number;
      let runEnd = frames[at + 1] as number;
      let next = i + 1;
      for (; next < count; next++) {
        const n = FRAME_STRIDE * next;
        if (frames[n + 4] !== 0 || frames[n + 2] !== shard || frames[n] !== runEnd) break;
        runEvents += frames[n + 3] as number;
        runEnd = frames[n + 1] as number;
      }
      sink.append(shard, datagram, frames[at] as number, runEnd, runEvents);
      events += runEvents;
      i = next;
    }
    return { ok: true, header: h.toBatch([]), events };
  }

  /** Walks the Batch: header fields into `header`, event frames into `frames`; returns the frame count. */
  private walkBatch(): number {
    const r = this.reader;
    this.header.reset();
    this.entryCount = 0;
    let count = 0;
    while (r.pos < r.end) {
      const frameStart = r.pos;
      const tag = r.varint32();
      const wireType = tag & 7;
      const field = tag >>> 3;
      if (field !== BATCH_EVENTS_FIELD) {
        if (field === BATCH_SHARED_FIELD) this.addEntry(wireType);
        else readBatchHeaderField(r, field, wireType, this.header);
        continue;
      }
      expectWireType(wireType, WIRE_LEN, 'events');
      const end = r.lengthEnd('events');
      const outer = r.end;
      r.end = end;
      const bodyStart = r.pos;
      const owner = this.walkEvent();
      r.end = outer;
      if (FRAME_STRIDE * count + FRAME_STRIDE > this.frames.length) {
        const grown = new Int32Array(this.frames.length * 2);
        grown.set(this.frames);
        this.frames = grown;
      }
      const frames = this.frames;
      const at = FRAME_STRIDE * count;
      frames[at] = frameStart;
      frames[at + 1] = end;
      frames[at + 2] = owner;
      frames[at + 3] = this.eventsInFrame;
      const entry = this.frameEntry;
      frames[at + 4] = entry;
      if (entry !== 0) {
        frames[at + 5] = bodyStart;
        frames[at + 6] = this.frameCutStart;
        frames[at + 7] = this.frameCutEnd;
      }
      count++;
    }
    return count;
  }

  /** Records a shared entry's byte range (Batch field 8); its bytes are walked only if an event refers to it. */
  private addEntry(wireType: number): void {
    const r = this.reader;
    expectWireType(wireType, WIRE_LEN, 'shared');
    const end = r.lengthEnd('shared');
    if (ENTRY_STRIDE * this.entryCount + ENTRY_STRIDE > this.entries.length) {
      const grown = new Int32Array(this.entries.length * 2);
      grown.set(this.entries);
      this.entries = grown;
    }
    const at = ENTRY_STRIDE * this.entryCount;
    this.entries[at] = r.pos;
    this.entries[at + 1] = end;
    this.entries[at + 2] = ENTRY_UNREAD;
    this.entryCount++;
    r.pos = end;
  }

  /**
   * Entry `index` (1-based) if an event may use it, else 0: it must come before the event (only
   * entries seen so far are recorded) and hold no ids and no reference. Walked once per datagram, on
   * its first use; a malformed one throws, rejecting the datagram as decodeDatagram does.
   */
  private usableEntry(index: number): number {
    if (index > this.entryCount) return 0;
    const entries = this.entries;
    const at = ENTRY_STRIDE * (index - 1);
    let state = entries[at + 2] as number;
    if (state === ENTRY_UNREAD) {
      const r = this.reader;
      const pos = r.pos;
      const end = r.end;
      r.pos = entries[at] as number;
      r.end = entries[at + 1] as number;
      this.walkMessage();
      r.pos = pos;
      r.end = end;
      state = (this.seenFields & SHARED_FORBIDDEN_FIELDS) === 0 ? ENTRY_USABLE : ENTRY_UNUSABLE;
      entries[at + 2] = state;
      entries[at + 3] = (this.lastFlags & EventFlags.carriesStart) === 0 ? 1 : 2;
    }
    return state === ENTRY_USABLE ? index : 0;
  }

  /** Hands the sink the frame with a reference described at `frames[at]` (see FRAME_STRIDE). */
  private appendWithReference(datagram: Uint8Array, at: number): void {
    const frames = this.frames;
    const index = frames[at + 4] as number;
    if (index === UNUSABLE_REFERENCE) {
      this.appendRebuilt(datagram, at, UNUSABLE_REFERENCE_FIELD, 0, UNUSABLE_REFERENCE_FIELD.length);
      return;
    }
    const entry = ENTRY_STRIDE * (index - 1);
    const entryStart = this.entries[entry] as number;
    const entryEnd = this.entries[entry + 1] as number;
    const shard = frames[at + 2] as number;
    const events = frames[at + 3] as number;
    const bodyStart = frames[at + 5] as number;
    const bodyEnd = frames[at + 1] as number;
    const cutStart = frames[at + 6] as number;
    // The reference as the tracer writes it: the first field, the only field 18 (cutStart ≥ 0), and 3
    // bytes — the field's two tag bytes and a one-byte index (as the shard's fast path reads it).
    if (cutStart === bodyStart && (frames[at + 7] as number) === bodyStart + 3) {
      this.sink.appendReferring(
        shard,
        datagram,
        index,
        entryStart,
        entryEnd,
        frames[at] as number,
        bodyEnd,
        bodyStart + 2,
        events,
      );
      return;
    }
    if (cutStart >= 0) {
      this.sink.appendJoined(
        shard,
        datagram,
        entryStart,
        entryEnd,
        bodyStart,
        cutStart,
        frames[at + 7] as number,
        bodyEnd,
        events,
      );
      return;
    }
    // Several field 18s: every one goes (the last one chose the entry; any left would refer to
    // an entry the shard does not have).
    this.appendRebuilt(datagram, at, datagram, entryStart, entryEnd);
  }

  /**
   * Hands the sink the frame at `frames[at]` rebuilt as `prefix[prefixStart, prefixEnd)` (its entry's
   * bytes, or UNUSABLE_REFERENCE_FIELD) followed by its own fields without any field 18. The body was
   * walked already, so reading it cannot throw.
   */
  private appendRebuilt(
    datagram: Uint8Array,
    at: number,
    prefix: Uint8Array,
    prefixStart: number,
    prefixEnd: number,
  ): void {
    const frames = this.frames;
    const bodyStart = frames[at + 5] as number;
    const bodyEnd = frames[at + 1] as number;
    const worst = prefixEnd - prefixStart + (bodyEnd - bodyStart);
    if (this.scratch.length < worst) this.scratch = new Uint8Array(worst);
    const out = this.scratch;
    out.set(prefix.subarray(prefixStart, prefixEnd), 0);
    let length = prefixEnd - prefixStart;
    const r = this.reader;
    r.pos = bodyStart;
    r.end = bodyEnd;
    while (r.pos < bodyEnd) {
      const fieldStart = r.pos;
      const tag = r.varint32();
      r.skip(tag & 7);
      if (tag >>> 3 === SHARED_FIELD) continue;
      out.set(datagram.subarray(fieldStart, r.pos), length);
      length += r.pos - fieldStart;
    }
    const shard = frames[at + 2] as number;
    const events = frames[at + 3] as number;
    this.sink.appendJoined(shard, out, 0, length, length, length, length, length, events);
  }

  /**
   * Walks one Event frame's body (pos..end); returns the owner of its last trace_id and sets
   * `eventsInFrame`, `frameEntry` (UNUSABLE_REFERENCE for a reference no entry before it satisfies)
   * and, with a reference, `frameCutStart`/`frameCutEnd`. Entries cost
   * nothing to an event without a reference (field 18); with one, the entry is looked up, and
   * walked if this is its first use.
   */
  private walkEvent(): number {
    this.walkMessage();
    const idStart = this.idStart;
    const idEnd = this.idEnd;
    // A frame standing for its hop side's two events (if valid: its shard decides) counts as two.
    let events = (this.lastFlags & EventFlags.carriesStart) === 0 ? 1 : 2;
    let entry = 0;
    if (this.sharedIndex !== 0) {
      // Read before usableEntry, which may walk the entry over these results.
      const ownFlags = (this.seenFields & (1 << FLAGS_FIELD)) !== 0;
      this.frameCutStart = this.sharedFieldCount === 1 ? this.cutStart : -1;
      this.frameCutEnd = this.cutEnd;
      entry = this.usableEntry(this.sharedIndex);
      // The event's flags are its own, else its entry's (when it can use it), as the decoder merges them.
      if (entry === 0) entry = UNUSABLE_REFERENCE;
      else if (!ownFlags) events = this.entries[ENTRY_STRIDE * (entry - 1) + 3] as number;
    }
    this.eventsInFrame = events;
    this.frameEntry = entry;
    // An event without a trace id is invalid; its shard (0) decodes and counts it.
    return idEnd > idStart ? this.owners.ofIdBytes(this.reader.buf, idStart, idEnd) : 0;
  }

  /**
   * Walks one Event message (pos..end: an event frame's body or a shared entry) with the decoder's
   * wire-type rules, leaving what the router needs in `seenFields`, `lastFlags`, `idStart`/`idEnd`
   * (the last trace_id), `sharedIndex` (the last field 18, 0 if none) and, for field 18, how many
   * there were and the byte range of the last. The cursor is kept in a local (written back around
   * the reader's calls for the rare cases: multi-byte tags and varints, unknown fields, tags), which
   * measured about a third cheaper per event than advancing the reader's field byte by byte.
   */
  private walkMessage(): void {
    let idStart = 0;
    let idEnd = 0;
    let flags = 0;
    let seen = 0;
    let shared = 0;
    let sharedFields = 0;
    let tagStart = 0;
    let cutStart = 0;
    let cutEnd = 0;
    const r = this.reader;
    const buf = r.buf;
    const end = r.end;
    let pos = r.pos;
    while (pos < end) {
      // Event tags are one byte for fields 1–15 and two for fields 16–18: the common case inline.
      let tag = buf[pos] as number;
      if (tag < 0x80) pos++;
      else {
        tagStart = pos;
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
      seen |= 1 << field;
      if (expected === WIRE_LEN) {
        if (field === TAGS_FIELD || field === STANDARD_TAGS_FIELD) {
          r.pos = pos;
          if (field === TAGS_FIELD) this.walkMapEntry('tags', WIRE_LEN);
          else this.walkMapEntry('standardTags', WIRE_VARINT);
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
      } else {
        let value: number;
        if (pos < end && (buf[pos] as number) < 0x80) {
          value = buf[pos] as number;
          pos++;
        } else {
          r.pos = pos;
          value = r.varint32();
          pos = r.pos;
        }
        if (field === FLAGS_FIELD) flags = value;
        else if (field === SHARED_FIELD) {
          // Field 18's tag is never one byte, so `tagStart` is where this field began.
          shared = value;
          sharedFields++;
          cutStart = tagStart;
          cutEnd = pos;
        }
      }
    }
    r.pos = pos;
    this.seenFields = seen;
    this.lastFlags = flags;
    this.idStart = idStart;
    this.idEnd = idEnd;
    this.sharedIndex = shared;
    this.sharedFieldCount = sharedFields;
    this.cutStart = cutStart;
    this.cutEnd = cutEnd;
  }

  /**
   * Walks one map entry of `tags` (a text key: `keyWireType` LEN) or `standard_tags` (a key code:
   * VARINT) with the decoder's rules: the key and the value's wire types checked, other fields skipped.
   */
  private walkMapEntry(name: string, keyWireType: number): void {
    const r = this.reader;
    const end = r.lengthEnd(name);
    const outer = r.end;
    r.end = end;
    while (r.pos < end) {
      const tag = r.varint32();
      const field = tag >>> 3;
      if (field === 1 || field === 2) {
        const expected = field === 1 ? keyWireType : WIRE_LEN;
        expectWireType(tag & 7, expected, name);
        if (expected === WIRE_LEN) r.pos = r.lengthEnd(name);
        else r.varint32();
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
    const hash = fnv1aOfBytes(buf, start, end);
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
  WIRE_LEN, // standard_tags
  WIRE_VARINT, // shared
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
  'standardTags',
  'shared',
];

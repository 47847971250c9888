/**
 * Datagram decoder: walks a datagram's protobuf bytes straight into the hop joiner's columns —
 * no event objects, no id strings (ids are hashed and compared as bytes), names interned once.
 *
 * Two passes over the payload. The first checks everything the wire codec checks (header, HMAC,
 * field wire types, lengths, every event's limits) and records where each event's fields are in
 * scratch arrays; the second writes the events into the joiner. Nothing is ingested before the
 * whole datagram is known good, so a malformed datagram is rejected whole, as the codec does.
 *
 * The fast path takes the datagrams tracers send. Anything out of the ordinary — a rejected or
 * malformed datagram, an invalid event, an unknown field, a non-ASCII id, a field near its limit,
 * a tag the codec would treat specially — goes to the wire codec's own `decodeDatagram` and
 * `validateEvent`, then into the joiner as decoded events. So the rejection reasons, invalid-event
 * counts and messages are the codec's, by construction, and the fast path only has to be right
 * about what it accepts.
 */
import { timingSafeEqual } from 'node:crypto';
import {
  type Batch,
  computeDatagramMac,
  decodeDatagram,
  EventFlags,
  emptyBatch,
  hasStartTime,
  InternTable,
  isStartTagKey,
  MAX_ID_LENGTH,
  MAX_NAME_LENGTH,
  MAX_TAGS,
  MAX_TEXT_LENGTH,
  SHARED_REFERENCE_TAG_0,
  SHARED_REFERENCE_TAG_1,
  standardTagKey,
  type TraceEvent,
  WIRE_FLAG_HMAC,
  WIRE_HEADER_BYTES,
  WIRE_HMAC_BYTES,
  WIRE_MAGIC_0,
  WIRE_MAGIC_1,
  WIRE_VERSION,
} from '@phosphor/wire';
import type { IngestOutcome } from '../receivers/udp/udp-receiver.js';
import { sameWords } from '../util/byte-words.js';
import type { HopJoiner } from './hop-joiner.js';
import { type BufferSlicers, idHashSeed, mixWord, pairHash } from './id-table.js';
import {
  F_ERROR_CODE,
  F_ERROR_DESCRIPTION,
  F_FROM,
  F_FROM_ENDPOINT,
  F_HOSTNAME,
  F_TO,
  F_TO_ENDPOINT,
  F_ZONE,
  TEXT_FIELDS,
} from './span-columns.js';

/**
 * What one datagram came to; one object reused for every datagram (read it before the next).
 * `acceptedEvents` are the valid events handed to the joiner; `header.events` is always empty.
 */
export interface DatagramOutcome extends IngestOutcome {
  /** True when the datagram went through the wire codec instead of the fast path. */
  decodedByCodec: boolean;
}

/** Names interned (services, endpoints, hosts, zones, error codes, tag keys). */
const NAME_SLOTS = 8192;
/**
 * Per event in the scratch: at 0 and 1 the trace and span ids' hashes (the id table's `idHash`;
 * once the event is checked, 0 holds their `pairHash` and 1 the trace id's hash),
 * at `field * 2` the [start, end) of LEN fields 2–14 (varint fields keep their value at
 * `field * 2`: type 2, flags 32; the fixed64 timestamp and duration are in `times`), then the tag
 * entry count, the index of its first range in `tagRanges`, and the mask of the LEN fields present.
 */
const EVENT_STRIDE = 40;
const S_TAG_COUNT = 36;
const S_FIRST_TAG = 37;
/** Bit `field` set for each LEN field (2–14) the event holds: the ranges of the others are stale. */
const S_PRESENT = 38;
const NO_EVENTS: never[] = [];

/** Per field: 0 LEN string, 1 fixed64, 2 varint (Event fields 1–16 of phosphor.proto). */
const EVENT_FIELD_KIND = [-1, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 2];
/** Byte limits per LEN field: ids MAX_ID_LENGTH, names MAX_NAME_LENGTH, description MAX_TEXT_LENGTH. */
const EVENT_FIELD_MAX = [
  0,
  0,
  MAX_ID_LENGTH,
  MAX_ID_LENGTH,
  MAX_ID_LENGTH,
  MAX_NAME_LENGTH,
  MAX_NAME_LENGTH,
  MAX_NAME_LENGTH,
  MAX_NAME_LENGTH,
  0,
  MAX_NAME_LENGTH,
  MAX_NAME_LENGTH,
  0,
  MAX_NAME_LENGTH,
  MAX_TEXT_LENGTH,
  0,
  0,
];
/** Text column of each LEN field (-1: ids, the parent id and tags, handled apart). */
const EVENT_FIELD_TEXT = [
  -1,
  -1,
  -1,
  -1,
  -1,
  F_FROM,
  F_FROM_ENDPOINT,
  F_TO,
  F_TO_ENDPOINT,
  -1,
  F_HOSTNAME,
  F_ZONE,
  -1,
  F_ERROR_CODE,
  F_ERROR_DESCRIPTION,
  -1,
  -1,
];

/** What readEvent does with a field, by its tag: a LEN field's byte limit (≥ 0), or one of these. */
const A_TAG_ENTRY = -1;
const A_INVALID = -2;
const A_FIXED64 = -3;
const A_VARINT = -4;

/** The action for an Event field tag (field number and wire type): anything else is for the codec. */
function tagAction(tag: number): number {
  const field = tag >>> 3;
  const wireType = tag & 7;
  const kind = field <= 16 ? (EVENT_FIELD_KIND[field] as number) : -1;
  // Field 17: `standard_tags`, tag entries keyed by a standard key's code instead of its text.
  if (wireType === 2 && field === 17) return A_TAG_ENTRY;
  if (wireType === 2 && kind === 0) return field === 15 ? A_TAG_ENTRY : (EVENT_FIELD_MAX[field] as number);
  if (kind === 1 && wireType === 1) return A_FIXED64;
  if (kind === 2 && wireType === 0) return A_VARINT;
  return A_INVALID;
}

/** {@link tagAction} of every one-byte tag (fields 0–15): one load per field on the hot path. */
const TAG_ACTION = Int32Array.from({ length: 0x80 }, (_, tag) => tagAction(tag));

/** Event field of each text column (the inverse of EVENT_FIELD_TEXT), in column order. */
const TEXT_COLUMN_FIELD = (() => {
  const fields = new Int32Array(TEXT_FIELDS);
  EVENT_FIELD_TEXT.forEach((column, field) => {
    if (column >= 0) fields[column] = field;
  });
  return fields;
})();

/** Whether the events at scratch offsets `a` and `b` name the same trace and span ids. */
function sameIds(s: Int32Array, view: DataView, a: number, b: number): boolean {
  if (a === b) return true;
  if (s[a] !== s[b]) return false;
  const traceLength = (s[a + 5] as number) - (s[a + 4] as number);
  const spanLength = (s[a + 7] as number) - (s[a + 6] as number);
  return (
    traceLength === (s[b + 5] as number) - (s[b + 4] as number) &&
    spanLength === (s[b + 7] as number) - (s[b + 6] as number) &&
    sameWords(view, s[a + 4] as number, view, s[b + 4] as number, traceLength) &&
    sameWords(view, s[a + 6] as number, view, s[b + 6] as number, spanLength)
  );
}

/** Signals "let the codec decide" inside the fast path. */
const FALLBACK = -1;

export class DatagramDecoder {
  /** While true, finished spans stay in the joiner for the caller to flush (a batch of datagrams). */
  holdSpans = false;
  private readonly names = new InternTable(NAME_SLOTS);
  private scratch = new Int32Array(64 * EVENT_STRIDE);
  /**
   * Per event, its timestamp and duration (NaN: none) at `2 * event` and `2 * event + 1`: the only
   * fields that are not 32-bit integers, kept apart so the scratch's positions, hashes and flags are
   * stored and read as integers.
   */
  private times = new Float64Array(64 * 2);
  /** The ArrayBuffer of the datagram being decoded, and a Buffer and a DataView over all of it. */
  private memory: ArrayBufferLike = new ArrayBuffer(0);
  private buf: Buffer & BufferSlicers = Buffer.from(this.memory) as Buffer & BufferSlicers;
  private view: DataView = new DataView(this.memory);
  private pos = 0;
  private readonly outcome: DatagramOutcome = {
    ok: false,
    reason: 'malformed',
    detail: '',
    acceptedEvents: 0,
    invalidEvents: 0,
    firstInvalidReason: undefined,
    header: emptyBatch(),
    decodedByCodec: false,
  };
  /** Header fields found by the first pass. */
  private tracerIdStart = 0;
  private tracerIdEnd = 0;
  private serviceStart = 0;
  private serviceEnd = 0;
  private hostnameStart = 0;
  private hostnameEnd = 0;
  private sequence = 0;
  private sentAtMicros = 0;
  private drops = [0, 0, 0, 0];
  private readonly headerOut: Batch = emptyBatch();
  /** Index entries read ahead of the second pass (see readEvent); the value itself is unused. */
  private warmed = 0;
  /** The start event's tags of the paired frame `readTags` read last. */
  private startTags: Record<string, string> | undefined = undefined;
  /** Frames of the datagram standing for two events each (`EventFlags.carriesStart`). */
  private pairedFrames = 0;
  /** The datagram's `shared` entries seen so far ([start, end) of each, in order; `sharedCount` in use). */
  private readonly sharedStarts: number[] = [];
  private readonly sharedEnds: number[] = [];
  private sharedCount = 0;
  /** Positions of tag entries ([start, end) pairs) per event, when any event has tags; `tagRangesLength` in use. */
  private readonly tagRanges: number[] = [];
  private tagRangesLength = 0;
  /** Per text column, the previous event's bytes in this datagram (-1 length: none yet) and its string. */
  private readonly lastTextStart = new Int32Array(TEXT_FIELDS);
  private readonly lastTextLength = new Int32Array(TEXT_FIELDS);
  private readonly lastText: string[] = new Array<string>(TEXT_FIELDS).fill('');

  constructor(
    private readonly joiner: HopJoiner,
    private readonly hmacKey: Buffer | undefined,
  ) {}

  /** Decodes one datagram into the joiner (finished spans are handed on before it returns, unless held). */
  ingest(datagram: Buffer, now: number): DatagramOutcome {
    const out = this.outcome;
    out.decodedByCodec = false;
    out.invalidEvents = 0;
    out.firstInvalidReason = undefined;
    const payloadStart = this.checkHeader(datagram);
    const events = payloadStart < 0 ? FALLBACK : this.firstPass(datagram, payloadStart);
    // A datagram whose HMAC was verified here is not verified again by the codec.
    if (events === FALLBACK) return this.viaCodec(datagram, now, payloadStart >= 0);
    this.secondPass(events, now);
    if (!this.holdSpans) this.joiner.flush();
    out.ok = true;
    out.acceptedEvents = events + this.pairedFrames;
    out.header = this.header();
    return out;
  }

  /** The payload start, or -1 when the header is not a plainly good one (the codec names the problem). */
  private checkHeader(d: Buffer): number {
    if (d.length < WIRE_HEADER_BYTES || d[0] !== WIRE_MAGIC_0 || d[1] !== WIRE_MAGIC_1 || d[2] !== WIRE_VERSION)
      return FALLBACK;
    const hasMac = ((d[3] as number) & WIRE_FLAG_HMAC) !== 0;
    const start = WIRE_HEADER_BYTES + (hasMac ? WIRE_HMAC_BYTES : 0);
    if (d.length < start) return FALLBACK;
    const key = this.hmacKey;
    if (key) {
      if (!hasMac) return FALLBACK;
      const mac = computeDatagramMac(key, d.subarray(0, WIRE_HEADER_BYTES), d.subarray(start));
      if (!timingSafeEqual(mac, d.subarray(WIRE_HEADER_BYTES, start))) return FALLBACK;
    }
    return start;
  }

  private viaCodec(datagram: Buffer, now: number, macVerified: boolean): DatagramOutcome {
    const out = this.outcome;
    out.decodedByCodec = true;
    const result = decodeDatagram(datagram, macVerified ? undefined : this.hmacKey);
    if (!result.ok) {
      out.ok = false;
      out.reason = result.reason;
      out.detail = result.detail;
      out.acceptedEvents = 0;
      return out;
    }
    out.ok = true;
    out.invalidEvents = result.invalidEvents;
    out.firstInvalidReason = result.firstInvalidReason;
    out.acceptedEvents = result.batch.events.length;
    const { events: _, ...header } = result.batch;
    out.header = { ...header, events: NO_EVENTS };
    const events = result.batch.events;
    for (let i = 0; i < events.length; i++) this.joiner.addEvent(events[i] as TraceEvent, now);
    if (!this.holdSpans) this.joiner.flush();
    return out;
  }

  /** Checks the payload and records the events' field positions; returns the event count or FALLBACK. */
  private firstPass(d: Buffer, start: number): number {
    // Positions are kept within the datagram's whole ArrayBuffer, read through one Buffer and one
    // DataView over it made once per ArrayBuffer: the socket's datagrams are views of a shared slab,
    // and a DataView per datagram cost about 1.3 % of the ingest loop.
    const memory = d.buffer;
    if (memory !== this.memory) {
      this.memory = memory;
      this.buf = Buffer.from(memory) as Buffer & BufferSlicers;
      this.view = new DataView(memory);
    }
    // The id table compares keys through the same view (it would otherwise make its own).
    this.joiner.ids.compareWith(this.buf, this.view);
    const base = d.byteOffset;
    this.pos = base + start;
    this.tracerIdStart = this.tracerIdEnd = this.serviceStart = this.serviceEnd = 0;
    this.hostnameStart = this.hostnameEnd = 0;
    this.sequence = 0;
    this.sentAtMicros = 0;
    const drops = this.drops;
    drops[0] = drops[1] = drops[2] = drops[3] = 0;
    this.tagRangesLength = 0;
    this.pairedFrames = 0;
    this.sharedCount = 0;
    const end = base + d.length;
    let events = 0;
    while (this.pos < end) {
      const tag = this.varint(end);
      if (tag < 0) return FALLBACK;
      const field = tag >>> 3;
      const wireType = tag & 7;
      if (field === 6 && wireType === 2) {
        const length = this.varint(end);
        if (length < 0 || length > end - this.pos) return FALLBACK;
        const eventEnd = this.pos + length;
        if ((events + 1) * EVENT_STRIDE > this.scratch.length) {
          const bigger = new Int32Array(this.scratch.length * 2);
          bigger.set(this.scratch);
          this.scratch = bigger;
          const biggerTimes = new Float64Array(this.times.length * 2);
          biggerTimes.set(this.times);
          this.times = biggerTimes;
        }
        if (!this.readEvent(events, eventEnd)) return FALLBACK;
        this.pos = eventEnd;
        if (((this.scratch[events * EVENT_STRIDE + 32] as number) & EventFlags.carriesStart) !== 0) this.pairedFrames++;
        events++;
      } else if ((field === 1 || field === 3 || field === 4) && wireType === 2) {
        const length = this.varint(end);
        if (length < 0 || length > end - this.pos) return FALLBACK;
        const s = this.pos;
        this.pos += length;
        if (field === 1) {
          if (length > MAX_ID_LENGTH) return FALLBACK;
          this.tracerIdStart = s;
          this.tracerIdEnd = this.pos;
        } else {
          if (length > MAX_NAME_LENGTH) return FALLBACK;
          if (field === 3) {
            this.serviceStart = s;
            this.serviceEnd = this.pos;
          } else {
            this.hostnameStart = s;
            this.hostnameEnd = this.pos;
          }
        }
      } else if (field === 8 && wireType === 2) {
        // Fields events of the datagram share (docs/wire-format.md, "Shared fields"): read with each
        // event that refers to it.
        const length = this.varint(end);
        if (length < 0 || length > end - this.pos) return FALLBACK;
        this.sharedStarts[this.sharedCount] = this.pos;
        this.sharedEnds[this.sharedCount] = this.pos + length;
        this.sharedCount++;
        this.pos += length;
      } else if (field === 2 && wireType === 0) {
        const value = this.varint(end);
        if (value < 0) return FALLBACK;
        this.sequence = value;
      } else if (field === 5 && wireType === 2) {
        const length = this.varint(end);
        if (length < 0 || length > end - this.pos) return FALLBACK;
        const dropsEnd = this.pos + length;
        drops[0] = drops[1] = drops[2] = drops[3] = 0;
        while (this.pos < dropsEnd) {
          const dropTag = this.varint(dropsEnd);
          const dropField = dropTag >>> 3;
          if (dropTag < 0 || (dropTag & 7) !== 1 || dropField < 1 || dropField > 4 || dropsEnd - this.pos < 8) {
            return FALLBACK;
          }
          drops[dropField - 1] = this.view.getFloat64(this.pos, true);
          this.pos += 8;
        }
      } else if (field === 7 && wireType === 1) {
        if (end - this.pos < 8) return FALLBACK;
        this.sentAtMicros = this.view.getFloat64(this.pos, true);
        this.pos += 8;
        if (!Number.isFinite(this.sentAtMicros)) return FALLBACK;
      } else {
        return FALLBACK;
      }
    }
    // Reads the id-table index entry each event will probe, all in one tight loop: the index
    // spans megabytes, a new hop's entry is a cache miss, and misses issued back to back overlap
    // — the second pass would wait for each in turn (a read per event inside readEvent did not
    // help: the parsing between two reads keeps them from overlapping). The value is kept in a
    // field only so the reads are not optimised away.
    const joiner = this.joiner;
    const ids = joiner.ids;
    const s = this.scratch;
    let warmed = 0;
    for (let e = 0; e < events; e++) {
      warmed ^= ids.indexEntry(s[e * EVENT_STRIDE] as number);
      // The skew offsets' entry of the event's trace, read when its span is emitted.
      warmed ^= joiner.traceOffsetsEntry(s[e * EVENT_STRIDE + 1] as number);
    }
    // Completed hops make the joiner forget as many of its oldest remembered hops: at most one
    // per two events of a datagram as tracers send them (a side's two events of a hop).
    warmed ^= joiner.readAheadForgets((events + 1) >> 1);
    // A new trace makes the skew offsets forget their oldest: at most one per hop begun here.
    warmed ^= joiner.oldestTraceOffsetsEntries((events + 1) >> 1);
    this.warmed ^= warmed;
    return events;
  }

  /** Records the fields of the datagram's event number `event` in the scratch; false when the codec must decide. */
  private readEvent(event: number, end: number): boolean {
    const s = this.scratch;
    const times = this.times;
    const at = event * EVENT_STRIDE;
    const t = event * 2;
    // Only the slots read whatever the event holds are reset (type 0, timestamp 0, no duration
    // (NaN), flags 0, no tags); a LEN field's range is read only when its bit is in S_PRESENT,
    // so the 26 range slots need no clearing per event.
    s[at + 2] = 0;
    times[t] = 0;
    times[t + 1] = Number.NaN;
    s[at + 32] = 0;
    s[at + S_TAG_COUNT] = 0;
    s[at + S_FIRST_TAG] = -1;
    let present = 0;
    let tagCount = 0;
    const view = this.view;
    const buf = this.buf;
    // The position is kept in a local, and one-byte varints (every tag, and the length of
    // every field shorter than 128 bytes) are read inline: `varint` is called for longer ones only.
    let pos = this.pos;
    // A reference to a `shared` entry, as the tracer writes it (the first field, a one-byte index):
    // the entry's fields are read first, then the event's own, so its own win as the wire format
    // says. A reference anywhere else, to an entry not seen yet, or an entry holding ids or a
    // reference of its own is the codec's to decide.
    const ownStart = pos;
    let limit = end;
    let inShared = false;
    if (end - pos >= 3 && buf[pos] === SHARED_REFERENCE_TAG_0 && buf[pos + 1] === SHARED_REFERENCE_TAG_1) {
      const index = buf[pos + 2] as number;
      if (index === 0 || index >= 0x80 || index > this.sharedCount) return false;
      pos = this.sharedStarts[index - 1] as number;
      limit = this.sharedEnds[index - 1] as number;
      inShared = true;
    }
    for (;;) {
      while (pos < limit) {
        let tag = buf[pos] as number;
        if (tag < 0x80) pos++;
        else {
          this.pos = pos;
          tag = this.varint(limit);
          if (tag < 0) return false;
          pos = this.pos;
        }
        const field = tag >>> 3;
        const action = tag < 0x80 ? (TAG_ACTION[tag] as number) : tagAction(tag);
        // LEN fields (a limit ≥ 0) and tag entries.
        if (action >= A_TAG_ENTRY) {
          let length = pos < limit ? (buf[pos] as number) : -1;
          if (length >= 0 && length < 0x80) pos++;
          else {
            this.pos = pos;
            length = this.varint(limit);
            pos = this.pos;
          }
          if (length < 0 || length > limit - pos) return false;
          const from = pos;
          pos += length;
          if (action === A_TAG_ENTRY) {
            if (!this.checkTag(from, pos, field === 17)) return false;
            if (s[at + S_FIRST_TAG] === -1) s[at + S_FIRST_TAG] = this.tagRangesLength;
            this.tagRanges[this.tagRangesLength++] = from;
            this.tagRanges[this.tagRangesLength++] = pos;
            tagCount++;
            // Repeated keys could make 65 entries legal; the codec decides such rare cases.
            if (tagCount > MAX_TAGS) return false;
            s[at + S_TAG_COUNT] = tagCount;
            continue;
          }
          if (length > action) return false;
          if (field <= 4) {
            // Ids are per event: an entry holding one makes its events invalid (the codec says so).
            if (inShared) return false;
            // Ids: ASCII only on the fast path (then bytes = chars and the key is canonical).
            // Checked four bytes at a time, hashing the trace and span ids in the same read
            // (the same hash as idHash over these bytes).
            let high = 0;
            let hash = idHashSeed(length);
            let i = from;
            for (const last = pos - 3; i < last; i += 4) {
              const word = view.getInt32(i, true);
              high |= word;
              hash = mixWord(hash, word);
            }
            for (; i < pos; i++) {
              const byte = buf[i] as number;
              high |= byte;
              hash = mixWord(hash, byte);
            }
            if ((high & 0x80808080) !== 0) return false;
            if (field < 4) s[at + field - 2] = hash;
          }
          present |= 1 << field;
          s[at + field * 2] = from;
          s[at + field * 2 + 1] = pos;
        } else if (action === A_FIXED64) {
          if (limit - pos < 8) return false;
          const value = view.getFloat64(pos, true);
          pos += 8;
          if (field === 9) times[t] = value;
          else times[t + 1] = value;
        } else if (action === A_VARINT) {
          this.pos = pos;
          const value = this.varint(limit);
          if (value < 0) return false;
          pos = this.pos;
          s[at + field * 2] = value;
        } else {
          return false;
        }
      }
      if (!inShared) break;
      // The shared entry is read: now the event's own fields, after its 3-byte reference.
      inShared = false;
      pos = ownStart + 3;
      limit = end;
    }
    this.pos = pos;
    s[at + S_PRESENT] = present;
    const type = s[at + 2] as number;
    const timestamp = times[t] as number;
    const duration = times[t + 1] as number;
    // A frame standing for a hop's two events: an OUT or REP whose start (timestamp − duration) is a time.
    const pairOk =
      ((s[at + 32] as number) & EventFlags.carriesStart) === 0 ||
      ((type === 3 || type === 4) && hasStartTime(timestamp, duration));
    const valid =
      pairOk &&
      type >= 1 &&
      type <= 4 &&
      (present & ((1 << 2) | (1 << 3))) === ((1 << 2) | (1 << 3)) &&
      (s[at + 5] as number) > (s[at + 4] as number) && // traceId not empty
      (s[at + 7] as number) > (s[at + 6] as number) && // spanId not empty
      timestamp > 0 &&
      timestamp < Number.POSITIVE_INFINITY &&
      (Number.isNaN(duration) || (duration >= 0 && duration < Number.POSITIVE_INFINITY));
    if (!valid) return false;
    const traceHash = s[at] as number;
    s[at] = pairHash(traceHash, s[at + 1] as number);
    s[at + 1] = traceHash;
    return true;
  }

  /**
   * A tag entry the fast path takes: key (field 1) 1..MAX_NAME_LENGTH bytes — or, in a `standard_tags`
   * entry (`coded`), a varint code of a key this version knows — value ≤ MAX_TEXT_LENGTH, nothing else.
   */
  private checkTag(start: number, end: number, coded: boolean): boolean {
    const saved = this.pos;
    this.pos = start;
    let keyLength = -1;
    let keyStart = 0;
    while (this.pos < end) {
      const tag = this.varint(end);
      if (coded && tag === 0x08) {
        const code = this.varint(end);
        if (code < 0 || standardTagKey(code) === undefined) return false;
        keyLength = 1;
        continue;
      }
      if (tag < 0 || (tag & 7) !== 2) return false;
      const field = tag >>> 3;
      if (coded && field === 1) return false;
      const length = this.varint(end);
      if (length < 0 || length > end - this.pos) return false;
      if (field === 1) {
        keyLength = length;
        keyStart = this.pos;
      } else if (field !== 2 || length > MAX_TEXT_LENGTH) return false;
      this.pos += length;
    }
    this.pos = saved;
    if (coded) return keyLength === 1;
    // A "__proto__" key is the codec's business (it defines it as an own property).
    if (keyLength === 9 && this.buf.latin1Slice(keyStart, keyStart + 9) === '__proto__') return false;
    return keyLength >= 1 && keyLength <= MAX_NAME_LENGTH;
  }

  /** Writes the recorded events into the joiner. */
  private secondPass(events: number, now: number): void {
    const s = this.scratch;
    const times = this.times;
    const buf = this.buf;
    const view = this.view;
    const lastStart = this.lastTextStart;
    const lastLength = this.lastTextLength;
    const lastText = this.lastText;
    lastLength.fill(-1);
    const joiner = this.joiner;
    const columns = joiner.columns;
    // The row the previous event went to, and that event's scratch offset: a hop's events often
    // travel together (a paired frame's two, a tracer's REQ then REP), and an event with the same
    // ids goes to the same row without looking them up again.
    let lastRow = -1;
    let lastAt = -1;
    for (let e = 0; e < events; e++) {
      const at = e * EVENT_STRIDE;
      const eventFlags = (s[at + 32] as number) >>> 0;
      const flags = eventFlags & ~EventFlags.carriesStart;
      const paired = flags !== eventFlags;
      const firstTag = s[at + S_FIRST_TAG] as number;
      // The tags, read once: a paired frame's split between its two events.
      const tags = firstTag < 0 ? undefined : this.readTags(firstTag, s[at + S_TAG_COUNT] as number, paired);
      // A frame carrying its hop's start is written twice: first as the start event (REQ for REP,
      // IN for OUT) at timestamp − duration, with no duration or error and the request's tags, then as itself.
      for (let side = paired ? 0 : 1; side < 2; side++) {
        const asStart = side === 0;
        const traceStart = s[at + 4] as number;
        const traceEnd = s[at + 5] as number;
        const spanStart = s[at + 6] as number;
        const spanEnd = s[at + 7] as number;
        const hash = s[at] as number;
        const type = s[at + 2] as number;
        // REQ 1 ← REP 4, IN 2 ← OUT 3: the start's kind index (type − 1).
        const kind = asStart ? (type === 4 ? 0 : 1) : type - 1;
        const cell =
          lastRow >= 0 && sameIds(s, view, at, lastAt) && joiner.inUse(lastRow)
            ? joiner.locateIn(lastRow, kind)
            : joiner.locate(kind, hash, s[at + 1] as number, buf, traceStart, traceEnd, buf, spanStart, spanEnd, now);
        if (cell < 0) {
          lastRow = -1;
          continue;
        }
        lastRow = cell >> 2;
        lastAt = at;
        const eventCell = columns.tagsBase(cell >> 2) + (cell & 3);
        const timestamp = times[e * 2] as number;
        const duration = times[e * 2 + 1] as number;
        columns.timestamps[eventCell] = asStart ? timestamp - duration : timestamp;
        columns.durations[eventCell] = asStart ? Number.NaN : duration;
        columns.flags[eventCell] = flags;
        const text = columns.text;
        const base = columns.textBase(cell >> 2) + (cell & 3) * TEXT_FIELDS;
        // Every column is written, in column order; absent fields are ''.
        const present = s[at + S_PRESENT] as number;
        for (let column = 0; column < TEXT_FIELDS; column++) {
          const field = TEXT_COLUMN_FIELD[column] as number;
          // A start event stood for by its end event has no error of its own.
          if ((present & (1 << field)) === 0 || (asStart && column >= F_ERROR_CODE)) {
            text[base + column] = '';
            continue;
          }
          const from = s[at + field * 2] as number;
          const to = s[at + field * 2 + 1] as number;
          const length = to - from;
          if (length === 0) {
            text[base + column] = '';
            continue;
          }
          // The events of one datagram mostly repeat the previous event's names (one tracer, one
          // host, the same few endpoints): comparing
          // with the previous event's bytes is cheaper than hashing them into the intern table.
          // (A field of a shared entry is the same bytes for every event referring to it.)
          if (
            length === lastLength[column] &&
            (from === lastStart[column] || sameWords(view, lastStart[column] as number, view, from, length))
          ) {
            text[base + column] = lastText[column] as string;
            continue;
          }
          const value = column === F_ERROR_DESCRIPTION ? buf.utf8Slice(from, to) : this.names.get(buf, view, from, to);
          text[base + column] = value;
          lastStart[column] = from;
          lastLength[column] = length;
          lastText[column] = value;
        }
        // The parent id, as bytes (ASCII, checked by readEvent); an empty one is none.
        const parentStart = s[at + 8] as number;
        const parentLength = (s[at + 9] as number) - parentStart;
        if ((present & (1 << 4)) !== 0 && parentLength > 0) {
          columns.parentIds.setBytes(eventCell, view, parentStart, parentLength);
        } else {
          columns.parentIds.clear(eventCell);
        }
        columns.tags[eventCell] = asStart ? this.startTags : tags;
        joiner.commit(now);
      }
    }
  }

  /**
   * The tags of the event whose entries are at `first` (`count` of them). For a frame standing for a
   * hop's two events (`paired`), those of its end event, the start's (`isStartTagKey`) left in
   * {@link startTags}. Undefined when there are none.
   */
  private readTags(first: number, count: number, paired: boolean): Record<string, string> | undefined {
    let tags: Record<string, string> | undefined;
    let startTags: Record<string, string> | undefined;
    const ranges = this.tagRanges;
    const buf = this.buf;
    for (let i = 0; i < count; i++) {
      const end = ranges[first + i * 2 + 1] as number;
      this.pos = ranges[first + i * 2] as number;
      let key = '';
      let value = '';
      while (this.pos < end) {
        const tag = this.varint(end);
        if (tag === 0x08) {
          // A `standard_tags` entry's key code (checkTag let only known codes through).
          key = standardTagKey(this.varint(end)) as string;
          continue;
        }
        const field = tag >>> 3;
        const length = this.varint(end);
        const from = this.pos;
        this.pos += length;
        if (field === 1) key = from === this.pos ? '' : this.names.get(buf, this.view, from, this.pos);
        else value = from === this.pos ? '' : buf.utf8Slice(from, this.pos);
      }
      if (paired && isStartTagKey(key)) {
        startTags ??= {};
        startTags[key] = value;
      } else {
        tags ??= {};
        tags[key] = value;
      }
    }
    this.startTags = startTags;
    return tags;
  }

  private name(from: number, to: number): string {
    return from === to ? '' : this.names.get(this.buf, this.view, from, to);
  }

  /** The datagram's header, in one object reused for every datagram (the outcome is reused too). */
  private header(): Batch {
    const header = this.headerOut;
    const drops = header.drops;
    drops.bufferFull = this.drops[0] as number;
    drops.tooLarge = this.drops[1] as number;
    drops.sendError = this.drops[2] as number;
    drops.sampledOut = this.drops[3] as number;
    header.tracerId = this.name(this.tracerIdStart, this.tracerIdEnd);
    header.sequence = this.sequence;
    header.service = this.name(this.serviceStart, this.serviceEnd);
    header.hostname = this.name(this.hostnameStart, this.hostnameEnd);
    header.sentAtMicros = this.sentAtMicros;
    return header;
  }

  /** A varint as an unsigned 32-bit number (higher bits dropped, as the codec does), or -1 when truncated or too long. */
  private varint(end: number): number {
    const buf = this.buf;
    let pos = this.pos;
    if (pos < end && (buf[pos] as number) < 0x80) {
      this.pos = pos + 1;
      return buf[pos] as number;
    }
    let value = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) return -1;
      const byte = buf[pos++] as number;
      if (i < 5) value |= (byte & 0x7f) << (7 * i);
      if (byte < 0x80) {
        this.pos = pos;
        return value >>> 0;
      }
    }
    return -1;
  }
}

import { MAX_NAME_LENGTH, MAX_TAGS, MAX_TEXT_LENGTH } from './limits.js';
import { standardTagCode } from './standard-tag-keys.js';
import { varintBytes, writeVarint } from './varint-writer.js';

/**
 * Encoding an Event's fields as phosphor.proto lays them out: the field tags, and writers for
 * strings, tags entries, doubles and prepared byte runs, shared by the datagram writer
 * (datagram-writer.ts), its prepared runs (prepared-runs.ts) and event templates
 * (event-template.ts). Every writer returns the end offset, or NO_ROOM when the bytes do not fit
 * before `limit`, or INVALID when a value breaks the wire format's limits.
 */

// Field tags (field number << 3 | wire type) of phosphor.proto.
export const TAG_EVENT_TYPE = 0x08;
export const TAG_TRACE_ID = 0x12;
export const TAG_SPAN_ID = 0x1a;
export const TAG_PARENT_SPAN_ID = 0x22;
export const TAG_FROM = 0x2a;
export const TAG_FROM_ENDPOINT = 0x32;
export const TAG_TO = 0x3a;
export const TAG_TO_ENDPOINT = 0x42;
export const TAG_TIMESTAMP = 0x49;
export const TAG_HOSTNAME = 0x52;
export const TAG_ZONE = 0x5a;
export const TAG_DURATION = 0x61;
export const TAG_ERROR_CODE = 0x6a;
export const TAG_ERROR_DESCRIPTION = 0x72;
export const TAG_TAGS = 0x7a;
/** Field 16 needs a two-byte varint tag: (16 << 3 | 0) = 128 → 0x80 0x01. */
export const TAG_FLAGS_0 = 0x80;
export const TAG_FLAGS_1 = 0x01;
/** Field 17 (`standard_tags`), wire type 2: (17 << 3 | 2) = 138 → 0x8a 0x01. */
export const TAG_STANDARD_TAGS_0 = 0x8a;
export const TAG_STANDARD_TAGS_1 = 0x01;
/** Key of a `map<uint32, string>` entry: field 1, varint. */
export const TAG_MAP_KEY_VARINT = 0x08;
export const TAG_MAP_KEY = 0x0a;
export const TAG_MAP_VALUE = 0x12;

/** Returned by the writers when the event is invalid. */
export const INVALID = -2;
/** Returned by the writers when the bytes do not fit before the limit. */
export const NO_ROOM = -1;

/**
 * Prepared runs up to this long are copied with a byte loop; `Uint8Array#set` has a fixed cost
 * (≈ 17 ns on Node 24, whatever the length up to ~100 bytes) that a byte loop (≈ 1–1.5 ns per
 * byte) matches at about this length.
 */
const LOOP_COPY_MAX_BYTES = 16;
/** Room for the encoded fields 5..8 (or 10..11) of one event: four names of up to 3 UTF-8 bytes per char, tag and length each. */
export const PREPARED_SCRATCH_BYTES = 4 * (1 + 2 + MAX_NAME_LENGTH * 3);

/** Copies a prepared run; NO_ROOM when it does not fit before `limit`. */
export function copyRun(buf: Buffer, at: number, limit: number, run: Uint8Array): number {
  const length = run.length;
  if (at + length > limit) return NO_ROOM;
  if (length <= LOOP_COPY_MAX_BYTES) {
    for (let i = 0; i < length; i++) buf[at + i] = run[i] as number;
  } else {
    buf.set(run, at);
  }
  return at + length;
}

/** Scratch views for writing a double's bytes without Buffer#writeDoubleLE's argument checks. */
const doubleScratch = new Float64Array(1);
const doubleBytes = new Uint8Array(doubleScratch.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Writes `value` as a little-endian double at `at` (room already checked); returns the end. */
export function writeDouble(buf: Buffer, at: number, value: number): number {
  doubleScratch[0] = value;
  if (LITTLE_ENDIAN) {
    for (let i = 0; i < 8; i++) buf[at + i] = doubleBytes[i] as number;
  } else {
    for (let i = 0; i < 8; i++) buf[at + i] = doubleBytes[7 - i] as number;
  }
  return at + 8;
}

/** The wire code of an event type; 0 (unspecified, never sent) for anything else. */
export function eventTypeCode(type: unknown): number {
  switch (type) {
    case 'IN':
      return 2;
    case 'OUT':
      return 3;
    case 'REQ':
      return 1;
    case 'REP':
      return 4;
    default:
      return 0;
  }
}

export function writeTags(buf: Buffer, start: number, limit: number, tags: Record<string, string>): number {
  if (typeof tags !== 'object' || tags === null) return INVALID;
  let at = start;
  let count = 0;
  for (const key in tags) {
    if (!Object.hasOwn(tags, key)) continue;
    if (++count > MAX_TAGS) return INVALID;
    const value = tags[key];
    if (key.length === 0 || key.length > MAX_NAME_LENGTH) return INVALID;
    if (typeof value !== 'string' || value.length > MAX_TEXT_LENGTH) return INVALID;
    const code = standardTagCode(key);
    if (code !== undefined) {
      // A standard key: its one-byte code in `standard_tags` instead of its text.
      if (at + 5 > limit) return NO_ROOM;
      buf[at] = TAG_STANDARD_TAGS_0;
      buf[at + 1] = TAG_STANDARD_TAGS_1;
      const entryStart = at + 3;
      buf[entryStart] = TAG_MAP_KEY_VARINT;
      buf[entryStart + 1] = code;
      const end = writeString(buf, entryStart + 2, limit, TAG_MAP_VALUE, value);
      if (end < 0) return end;
      at = closeLengthPrefix(buf, at + 2, entryStart, end, limit);
      if (at < 0) return at;
      continue;
    }
    if (at + 2 > limit) return NO_ROOM;
    buf[at] = TAG_TAGS;
    const entryStart = at + 2;
    let end = writeString(buf, entryStart, limit, TAG_MAP_KEY, key);
    if (end < 0) return end;
    end = writeString(buf, end, limit, TAG_MAP_VALUE, value);
    if (end < 0) return end;
    at = closeLengthPrefix(buf, at + 1, entryStart, end, limit);
    if (at < 0) return at;
  }
  return at;
}

/**
 * Writes the varint length of the body [bodyStart, end) at `lengthAt`, where one byte was

 */
function closeLengthPrefix(buf: Buffer, lengthAt: number, bodyStart: number, end: number, limit: number): number {
  const length = end - bodyStart;
  if (length < 0x80) {
    buf[lengthAt] = length;
    return end;
  }
  const extra = varintBytes(length) - 1;
  if (end + extra > limit) return NO_ROOM;
  buf.copyWithin(bodyStart + extra, bodyStart, end);
  writeVarint(buf, lengthAt, length);
  return end + extra;
}

/**
 * An optional string field: nothing when undefined or empty, INVALID past `maxLength`; `ascii`: the
 * caller knows it to be ASCII ({@link writeAsciiString}).
 */
export function writeOptional(
  buf: Buffer,
  at: number,
  limit: number,
  tag: number,
  value: string | undefined,
  maxLength: number,
  ascii = false,
): number {
  if (value === undefined || value === '') return at;
  if (typeof value !== 'string' || value.length > maxLength) return INVALID;
  return ascii ? writeAsciiString(buf, at, limit, tag, value) : writeString(buf, at, limit, tag, value);
}

/** Writes tag, length and UTF-8 bytes of a string; NO_ROOM when it does not fit before `limit`. */
export function writeString(buf: Buffer, at: number, limit: number, tag: number, value: string): number {
  const chars = value.length;
  if (chars < 0x80 && at + 2 + chars <= limit) {
    // ASCII fast path: a plain loop beats Buffer#write's argument handling for short strings.
    let i = 0;
    const base = at + 2;
    for (; i < chars; i++) {
      const code = value.charCodeAt(i);
      if (code >= 0x80) break;
      buf[base + i] = code;
    }
    if (i === chars) {
      buf[at] = tag;
      buf[at + 1] = chars;
      return base + chars;
    }
  }
  const bytes = Buffer.byteLength(value);
  const lengthBytes = varintBytes(bytes);
  if (at + 1 + lengthBytes + bytes > limit) return NO_ROOM;
  buf[at] = tag;
  at = writeVarint(buf, at + 1, bytes);
  return at + buf.write(value, at);
}

/** `Buffer#latin1Write`, which Node's published types leave out: one native copy of a one-byte string's characters. */
interface Latin1Writable {
  latin1Write(value: string, offset: number, length: number): number;
}

/**
 * {@link writeString} for a string the caller knows to be ASCII (an id the tracer made or validated
 * on arrival): its characters are copied as bytes by one native call instead of read and checked one
 * by one — about half the instructions for a 19-digit id (docs/benchmarks.md). Given a string that
 * is not ASCII it writes wrong bytes (never throws), hence only for strings known to be ASCII.
 */
export function writeAsciiString(buf: Buffer, at: number, limit: number, tag: number, value: string): number {
  const chars = value.length;
  if (chars >= 0x80 || at + 2 + chars > limit) return writeString(buf, at, limit, tag, value);
  buf[at] = tag;
  buf[at + 1] = chars;
  (buf as unknown as Latin1Writable).latin1Write(value, at + 2, chars);
  return at + 2 + chars;
}

/**
 * Writes fields 5..8 (from, from_endpoint, to, to_endpoint), each left out when empty: the run a
 * service's events repeat per peer. Returns the end, NO_ROOM or INVALID.
 */
export function writePeerFields(
  buf: Buffer,
  at: number,
  limit: number,
  from: string | undefined,
  fromEndpoint: string | undefined,
  to: string | undefined,
  toEndpoint: string | undefined,
): number {
  let end = writeOptional(buf, at, limit, TAG_FROM, from, MAX_NAME_LENGTH);
  if (end >= 0) end = writeOptional(buf, end, limit, TAG_FROM_ENDPOINT, fromEndpoint, MAX_NAME_LENGTH);
  if (end >= 0) end = writeOptional(buf, end, limit, TAG_TO, to, MAX_NAME_LENGTH);
  if (end >= 0) end = writeOptional(buf, end, limit, TAG_TO_ENDPOINT, toEndpoint, MAX_NAME_LENGTH);
  return end;
}

/** Writes fields 10..11 (hostname, zone), each left out when empty. Returns the end, NO_ROOM or INVALID. */
export function writeHostFields(
  buf: Buffer,
  at: number,
  limit: number,
  hostname: string | undefined,
  zone: string | undefined,
): number {
  const end = writeOptional(buf, at, limit, TAG_HOSTNAME, hostname, MAX_NAME_LENGTH);
  return end >= 0 ? writeOptional(buf, end, limit, TAG_ZONE, zone, MAX_NAME_LENGTH) : end;
}

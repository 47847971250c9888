/*
 * The protobuf byte reader every hand-written walk of a Phosphor payload uses: the codec's
 * decoder (decode-datagram.ts) and the collector's event router, which must reject exactly what
 * the decoder rejects, with the same messages. One cursor class, so the two cannot drift apart
 * on how a varint, a length, a double or an unknown field is read or what makes it malformed.
 */

/** Protobuf wire types. */
export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;
/** A varint is at most 10 bytes (64 bits, 7 per byte); longer is malformed. */
const MAX_VARINT_BYTES = 10;
/**
 * Nested groups skipped at most: a hostile datagram of nested start-groups must not exhaust the
 * stack. Groups are deprecated and never written by Phosphor, so any depth is generous.
 */
const MAX_GROUP_DEPTH = 32;

/** Thrown by the reader only; whoever walks the payload turns it into a `malformed` rejection. */
export class MalformedPayload extends Error {}

/** Throws MalformedPayload naming `field` when a known field arrives with the wrong wire type. */
export function expectWireType(actual: number, expected: number, field: string): void {
  if (actual !== expected) throw new MalformedPayload(`${field}: wire type ${actual}, expected ${expected}`);
}

/**
 * Cursor over one protobuf payload: `pos` advances through `buf` up to `end`, the end of the
 * message being read (narrow it to read a nested message, then restore it). One instance is
 * meant to be reused, datagram after datagram.
 */
export class ProtobufReader {
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

/**
 * Protobuf varints as the hand-written encoders write them (the datagram writer, the sharded
 * collector's shard buffers): unsigned 32-bit values only, which is every length and index they write.
 */

/** Writes `value` as a varint at `at`; returns the position after it. */
export function writeVarint(buf: Uint8Array, at: number, value: number): number {
  while (value >= 0x80) {
    buf[at++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buf[at++] = value;
  return at;
}

/** Bytes `value` takes as a varint. */
export function varintBytes(value: number): number {
  let bytes = 1;
  while (value >= 0x80) {
    value >>>= 7;
    bytes++;
  }
  return bytes;
}

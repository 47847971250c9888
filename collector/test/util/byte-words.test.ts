import { describe, expect, it } from 'vitest';
import { copyWords, sameWords, viewOver } from '../../src/util/byte-words.js';
import { hashId, hashIdBytes, IdBytesColumn } from '../../src/util/id-bytes-column.js';
import { prng } from '../support/hops.js';

/** Random bytes, 0–40 of them (ids are 16–36), and offsets 0–7 (every alignment). */
function cases(seed: number, count: number): { bytes: Uint8Array; a: number; b: number; flip: number }[] {
  const random = prng(seed);
  const int = (n: number) => Math.floor(random() * n);
  return Array.from({ length: count }, () => ({
    bytes: Uint8Array.from({ length: int(41) }, () => int(256)),
    a: int(8),
    b: int(8),
    flip: int(40),
  }));
}

/** `bytes` placed at `offset` in a larger array, so words are read at unaligned positions. */
function placed(bytes: Uint8Array, offset: number): DataView {
  const array = new Uint8Array(offset + bytes.length + 5).fill(0xee);
  array.set(bytes, offset);
  return viewOver(array);
}

const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

describe('byte words', () => {
  it('copies and compares runs of every length at any alignment, as a byte loop does', () => {
    for (const { bytes, a: fromOffset, b: toOffset, flip } of cases(1, 2000)) {
      const from = placed(bytes, fromOffset);
      const to = viewOver(new Uint8Array(toOffset + bytes.length + 3).fill(0x11));
      const high = copyWords(to, toOffset, from, fromOffset, bytes.length);
      expect([...new Uint8Array(to.buffer, toOffset, bytes.length)]).toEqual([...bytes]);
      // Bytes around the run are untouched.
      for (let k = 0; k < toOffset; k++) expect(to.getUint8(k)).toBe(0x11);
      expect(to.getUint8(toOffset + bytes.length)).toBe(0x11);
      expect((high & 0x80808080) !== 0).toBe(bytes.some((b) => b >= 0x80));
      expect(sameWords(to, toOffset, from, fromOffset, bytes.length)).toBe(true);
      if (bytes.length > 0) {
        const k = flip % bytes.length;
        to.setUint8(toOffset + k, (bytes[k] as number) ^ 1);
        expect(sameWords(to, toOffset, from, fromOffset, bytes.length)).toBe(false);
      }
    }
  });

  it('hashes an id the same from its string and from its Latin-1 bytes, and tells ids apart', () => {
    for (const { bytes, a: offset } of cases(2, 2000)) {
      expect(hashIdBytes(placed(bytes, offset), offset, bytes.length)).toBe(hashId(latin1(bytes)));
    }
    const hashes = new Set<number>();
    for (let i = 0; i < 10_000; i++) hashes.add(hashId(String(10_000_000_000_000_000n + BigInt(i))));
    expect(hashes.size).toBe(10_000);
  });

  it('keeps ids in a column and compares them with the bytes they came from', () => {
    const column = new IdBytesColumn(16, 4);
    const ids = ['4bf92f3577b34da6', '12345678901234567', 'a', ''];
    ids.forEach((id, i) => {
      const view = placed(Buffer.from(id, 'latin1'), 3);
      column.setBytes(i, view, 3, id.length);
      expect(column.get(i)).toBe(id);
      expect(column.equalsBytes(i, view, 3, id.length)).toBe(true);
      expect(column.equals(i, id)).toBe(true);
      expect(column.equalsBytes(i, view, 3, Math.max(0, id.length - 1))).toBe(id.length === 0);
    });
    // A 17-byte id is longer than the stride: kept as a string, compared by its characters.
    expect(column.inlineLength(1)).toBe(-2);
    const target = viewOver(new Uint8Array(20));
    column.copyInline(0, target, 2);
    expect(Buffer.from(target.buffer, 2, 16).toString('latin1')).toBe(ids[0]);
  });
});

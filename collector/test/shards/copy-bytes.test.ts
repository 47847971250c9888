import { describe, expect, it } from 'vitest';
import { copyBytes } from '../../src/shards/copy-bytes.js';

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe('copyBytes', () => {
  it.each([
    ['the whole source', 0, 300],
    ['a prefix', 0, 120],
    ['a middle slice', 17, 250],
    ['a suffix', 200, 300],
    ['one byte, the whole source', 0, 1],
  ])('copies %s into shared and private memory at an offset, touching nothing else', (_, start, end) => {
    const source = end === 1 ? bytes(1, 9) : bytes(300, 5);
    for (const target of [new Uint8Array(new SharedArrayBuffer(512)), new Uint8Array(512)]) {
      target.fill(0xee);
      copyBytes(source, start, end, target, 40);
      expect(Array.from(target.subarray(40, 40 + end - start))).toEqual(Array.from(source.subarray(start, end)));
      expect(target.subarray(0, 40).every((b) => b === 0xee)).toBe(true);
      expect(target.subarray(40 + end - start).every((b) => b === 0xee)).toBe(true);
    }
  });

  it('copies out of shared memory, from a view that is the whole source', () => {
    const ring = new Uint8Array(new SharedArrayBuffer(1024));
    ring.set(bytes(1024, 3));
    const view = ring.subarray(100, 612);
    const target = new Uint8Array(600);
    copyBytes(view, 0, view.length, target, 8);
    expect(Array.from(target.subarray(8, 520))).toEqual(Array.from(ring.subarray(100, 612)));
  });

  it('copies nothing for an empty range', () => {
    const target = new Uint8Array(8).fill(1);
    copyBytes(bytes(4, 0), 2, 2, target, 0);
    copyBytes(new Uint8Array(0), 0, 0, target, 0);
    expect(Array.from(target)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });
});

import { describe, expect, it } from 'vitest';
import { hashIdBytes, ownerOfIdBytes, ownerOfTraceId } from '../../src/shards/trace-owner.js';

describe('trace ownership', () => {
  it('hashes the same bytes the same way from a datagram and from a string', () => {
    const id = '397237206544449536';
    const datagram = Buffer.concat([Buffer.from([1, 2, 3]), Buffer.from(id), Buffer.from([9])]);
    for (const n of [1, 2, 3, 8]) expect(ownerOfIdBytes(datagram, 3, 3 + id.length, n)).toBe(ownerOfTraceId(id, n));
    // FNV-1a reference value of "a".
    expect(hashIdBytes(Buffer.from('a'), 0, 1)).toBe(0xe40c292c);
  });

  it.each([2, 3, 4])('spreads sequential decimal and hex ids evenly over %i shards', (n) => {
    for (const make of [
      (i: number) => String(397_237_206_544_449_536n + BigInt(i)),
      (i: number) => i.toString(16).padStart(32, '0'),
    ]) {
      const counts = new Array<number>(n).fill(0);
      const total = 60_000;
      for (let i = 0; i < total; i++) {
        const owner = ownerOfTraceId(make(i), n);
        counts[owner] = (counts[owner] as number) + 1;
      }
      for (const c of counts) expect(Math.abs(c - total / n) / (total / n)).toBeLessThan(0.05);
    }
  });
});

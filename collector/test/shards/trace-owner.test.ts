import { describe, expect, it } from 'vitest';
import { fnv1aOfBytes, ownerOfIdBytes, ownerOfTraceId, TraceOwners } from '../../src/shards/trace-owner.js';

describe('trace ownership', () => {
  it('hashes the same bytes the same way from a datagram and from a string', () => {
    const id = '397237206544449536';
    const datagram = Buffer.concat([Buffer.from([1, 2, 3]), Buffer.from(id), Buffer.from([9])]);
    for (const n of [1, 2, 3, 8]) expect(ownerOfIdBytes(datagram, 3, 3 + id.length, n)).toBe(ownerOfTraceId(id, n));
    // FNV-1a reference value of "a".
    expect(fnv1aOfBytes(Buffer.from('a'), 0, 1)).toBe(0xe40c292c);
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

  it.each([
    [2, 0.25],
    [3, 0.2],
  ])('gives the receiving thread’s shard its share of %i shards (%s) and splits the rest evenly', (n, share) => {
    const owners = TraceOwners.forShards(n, share);
    expect(owners.shardCount).toBe(n);
    expect(owners.shares[0]).toBeCloseTo(share, 3);
    const counts = new Array<number>(n).fill(0);
    const total = 60_000;
    for (let i = 0; i < total; i++) {
      const owner = owners.ofTraceId(i.toString(16).padStart(32, '0'));
      counts[owner] = (counts[owner] as number) + 1;
    }
    const expected = [share, ...new Array<number>(n - 1).fill((1 - share) / (n - 1))];
    for (const [shard, c] of counts.entries()) {
      expect(Math.abs(c / total - (expected[shard] as number))).toBeLessThan(0.01);
    }
    // The same owner from a datagram's bytes as from the string.
    const id = '4bf92f3577b34da6a3ce929d0e0e4736';
    const datagram = Buffer.concat([Buffer.from([7]), Buffer.from(id)]);
    expect(owners.ofIdBytes(datagram, 1, 1 + id.length)).toBe(owners.ofTraceId(id));
  });

  it('uses equal slices when no shard runs on the receiving thread', () => {
    expect(TraceOwners.forShards(3, 0).shares).toEqual(TraceOwners.even(3).shares);
    expect(TraceOwners.forShards(1, 0.3).shares).toEqual([1]);
  });
});

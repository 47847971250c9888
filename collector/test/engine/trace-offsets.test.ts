import { describe, expect, it } from 'vitest';
import { HostOffsets } from '../../src/assembly/skew.js';
import { TraceOffsets } from '../../src/engine/trace-offsets.js';
import { prng } from '../support/hops.js';

/** The reference: a Map plus a FIFO of its keys, as the joiner kept trace offsets before. */
class MapModel {
  readonly map = new Map<string, HostOffsets>();
  private readonly queue: string[] = [];
  constructor(private readonly capacity: number) {}
  offsetsOf(traceId: string): HostOffsets {
    let offsets = this.map.get(traceId);
    if (offsets) return offsets;
    if (this.map.size >= this.capacity) this.map.delete(this.queue.shift() as string);
    offsets = new HostOffsets();
    this.map.set(traceId, offsets);
    this.queue.push(traceId);
    return offsets;
  }
}

describe('TraceOffsets', () => {
  it.each([
    ['well-spread hashes', (id: string) => Number.parseInt(id.slice(1), 10) * 0x9e3779b1],
    [
      'colliding hashes (a string comparison tells traces apart)',
      (id: string) => (id.length % 4 === 0 ? 7 : id.length * 0x9e3779b1),
    ],
  ])('keeps the same traces as a FIFO Map of the same capacity, through growth and eviction (%s)', (_, hashOf) => {
    const random = prng(3);
    const capacity = 1500;
    const table = new TraceOffsets(capacity);
    const model = new MapModel(capacity);
    // Offsets objects are identities: the same object back means the same trace's entry.
    const seen = new Map<HostOffsets, HostOffsets>();
    const handedOut = new Set<HostOffsets>();
    for (let op = 0; op < 30_000; op++) {
      const id = `t${Math.floor(random() * (op < 10_000 ? 1000 : 4000))}`;
      const expected = model.offsetsOf(id);
      const got = table.offsetsOf(id, hashOf(id) | 0);
      const paired = seen.get(expected);
      if (paired === undefined) {
        expect(handedOut.has(got)).toBe(false);
        seen.set(expected, got);
        handedOut.add(got);
      } else {
        expect(got).toBe(paired);
      }
      if (op % 997 === 0) expect(table.size).toBe(model.map.size);
    }
    expect(table.size).toBe(capacity);
    table.clear();
    expect(table.size).toBe(0);
    const fresh = table.offsetsOf('t1', hashOf('t1') | 0);
    expect(handedOut.has(fresh)).toBe(false);
  });
});

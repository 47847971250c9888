import { describe, expect, it } from 'vitest';
import { type SerialList, ServiceIndex } from '../../../src/storage/memory/service-index.js';

function serials(list: SerialList | undefined): number[] {
  if (list === undefined) return [];
  return Array.from({ length: list.size }, (_, i) => list.at(i));
}

describe('ServiceIndex', () => {
  it('keeps one list per service id, ids given in any order and with gaps', () => {
    const index = new ServiceIndex();
    index.add(7, 0);
    index.add(2, 1);
    index.add(7, 2);
    expect(serials(index.get(7))).toEqual([0, 2]);
    expect(serials(index.get(2))).toEqual([1]);
    for (const unknown of [0, 1, 3, 6, 8, 1000]) expect(index.get(unknown)).toBeUndefined();
  });

  it('drops evicted serials at the head and the list once it holds no live trace; a reused id starts afresh', () => {
    const index = new ServiceIndex();
    for (let serial = 0; serial < 4; serial++) index.add(3, serial);
    index.evicted(3, 2);
    expect(serials(index.get(3))).toEqual([2, 3]);
    index.evicted(3, 4);
    expect(index.get(3)).toBeUndefined();
    // An id freed by the interner and given to another name never sees the old list.
    index.add(3, 10);
    expect(serials(index.get(3))).toEqual([10]);
    // Eviction for an id with no list is a no-op.
    index.evicted(5, 11);
    expect(index.get(5)).toBeUndefined();
  });

  it('forgets everything on clear', () => {
    const index = new ServiceIndex();
    index.add(1, 0);
    index.add(4, 1);
    index.clear();
    expect(index.get(1)).toBeUndefined();
    expect(index.get(4)).toBeUndefined();
    index.add(4, 2);
    expect(serials(index.get(4))).toEqual([2]);
  });
});

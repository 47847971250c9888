import { describe, expect, it } from 'vitest';
import { PairMap } from '../../src/aggregates/pair-map.js';
import { prng } from '../support/hops.js';

describe('PairMap', () => {
  it('agrees with a Map keyed by the pair under random gets, sets and deletions (the last-pair shortcut never returns a stale value)', () => {
    const random = prng(11);
    const map = new PairMap<{ n: number }>();
    const model = new Map<string, { n: number }>();
    const names = ['a', 'b', 'ab', ''];
    const pick = () => names[Math.floor(random() * names.length)] as string;
    for (let op = 0; op < 20_000; op++) {
      const a = pick();
      const b = pick();
      const key = JSON.stringify([a, b]);
      const r = random();
      if (r < 0.6) {
        expect(map.get(a, b)).toBe(model.get(key));
      } else if (r < 0.95) {
        const value = { n: op };
        map.set(a, b, value);
        model.set(key, value);
      } else {
        const limit = op - 500;
        map.deleteWhere((v) => v.n < limit);
        for (const [k, v] of model) if (v.n < limit) model.delete(k);
      }
      expect(map.size).toBe(model.size);
    }
    expect([...map.values()].sort((x, y) => x.n - y.n)).toEqual([...model.values()].sort((x, y) => x.n - y.n));
  });
});

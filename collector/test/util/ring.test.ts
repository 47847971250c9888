import { describe, expect, it } from 'vitest';
import { Ring } from '../../src/util/ring.js';

describe('Ring', () => {
  it('is a FIFO across growth and wrap-around', () => {
    const ring = new Ring<number>();
    const model: number[] = [];
    let next = 0;
    // Interleave pushes and shifts so the head wraps while the ring grows and shrinks.
    for (let step = 0; step < 2000; step++) {
      if (step % 7 < 4 || model.length === 0) {
        ring.push(next);
        model.push(next++);
      } else {
        expect(ring.shift()).toBe(model.shift());
      }
      expect(ring.size).toBe(model.length);
      expect(ring.peek()).toBe(model[0]);
    }
    expect(Array.from({ length: ring.size }, (_, i) => ring.at(i))).toEqual(model);
    expect(ring.at(-1)).toBeUndefined();
    expect(ring.at(ring.size)).toBeUndefined();
  });

  it('retains in order, visits oldest first, and clears', () => {
    const ring = new Ring<number>();
    for (let i = 0; i < 100; i++) ring.push(i);
    for (let i = 0; i < 30; i++) ring.shift();
    ring.retain((n) => n % 3 === 0);
    const seen: number[] = [];
    ring.forEach((n) => {
      seen.push(n);
    });
    expect(seen).toEqual(Array.from({ length: 70 }, (_, i) => i + 30).filter((n) => n % 3 === 0));
    ring.push(1000);
    expect(ring.at(ring.size - 1)).toBe(1000);
    ring.clear();
    expect(ring.size).toBe(0);
    expect(ring.shift()).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { TraceRing } from '../../../src/storage/memory/trace-ring.js';
import { hashId } from '../../../src/util/id-bytes-column.js';

/** Ids of every shape: short, 32-char hex, longer than the inline room, beyond Latin-1. */
function idOf(i: number): string {
  return [String(i), i.toString(16).padStart(32, '0'), `long-trace-id-beyond-thirty-two-bytes-${i}`, `ü-✓-${i}`][
    i % 4
  ] as string;
}

describe('TraceRing', () => {
  it.each([
    [4, Number.POSITIVE_INFINITY],
    [3, 10],
  ])(
    'agrees with an arrival-ordered list through pushes, evictions and growth with the head anywhere (%i slots, growth slowing at %d)',
    (initial, expected) => {
      const ring = new TraceRing(initial, expected);
      const live: string[] = [];
      let nextId = 0;
      let seed = 7;
      const random = () => {
        seed = (Math.imul(seed, 1103515245) + 12345) | 0;
        return (seed >>> 8) / 16777216;
      };
      for (let step = 0; step < 20_000; step++) {
        // Drifting balance: the ring grows, shrinks and grows again with its head wrapped.
        const pushBias = step % 5000 < 3000 ? 0.6 : 0.4;
        if (live.length === 0 || random() < pushBias) {
          const id = idOf(nextId++);
          const slot = ring.push(id, hashId(id));
          expect(ring.serialOf(slot)).toBe(ring.headSerial + live.length);
          live.push(id);
        } else {
          ring.shift();
          live.shift();
        }
        if (step % 997 === 0) {
          expect(ring.count).toBe(live.length);
          live.forEach((id, age) => {
            const slot = ring.find(id, hashId(id));
            expect(slot).toBe(ring.slotAt(age));
            expect(ring.ids.get(slot)).toBe(id);
            expect(ring.slotOf(ring.headSerial + age)).toBe(slot);
          });
          for (let gone = Math.max(0, nextId - live.length - 50); gone < nextId - live.length; gone++) {
            expect(ring.find(idOf(gone), hashId(idOf(gone)))).toBe(-1);
          }
        }
      }
    },
  );
});

import { describe, expect, it } from 'vitest';
import type { Span } from '../../../src/model/span.js';
import { SpanBatch } from '../../../src/model/span-batch.js';
import { TraceRing } from '../../../src/storage/memory/trace-ring.js';
import { hashId } from '../../../src/util/id-bytes-column.js';
import { prng } from '../../support/hops.js';

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

  it('finds a trace or appends it in one call as find and push do, through growth and evictions', () => {
    const ring = new TraceRing(4, 64);
    const live: string[] = [];
    const batch = new SpanBatch();
    const span = { spanId: 's', rawEvents: {}, events: {}, missing: [], tags: {} } as unknown as Span;
    let nextId = 0;
    const random = prng(11);
    for (let step = 0; step < 20_000; step++) {
      if (live.length > 40 && random() < 0.3) {
        ring.shift();
        live.shift();
        continue;
      }
      // A live trace again (half the time) or a new one; ids of every shape, as bytes or strings.
      const again = live.length > 0 && random() < 0.5;
      const id = again ? (live[Math.floor(random() * live.length)] as string) : idOf(nextId++);
      batch.clear();
      const i = batch.push({ ...span, traceId: id });
      const before = ring.count;
      const slot = ring.findOrPushTraceOf(batch, i, batch.traceIdHash(i));
      if (again) {
        expect(ring.count).toBe(before);
        expect(slot).toBe(ring.slotAt(live.indexOf(id)));
      } else {
        expect(ring.count).toBe(before + 1);
        expect(ring.serialOf(slot)).toBe(ring.headSerial + live.length);
        live.push(id);
      }
      expect(ring.ids.get(slot)).toBe(id);
      expect(ring.find(id, hashId(id))).toBe(slot);
    }
    live.forEach((id, age) => {
      expect(ring.find(id, hashId(id))).toBe(ring.slotAt(age));
    });
  });
});

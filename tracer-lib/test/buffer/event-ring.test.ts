import { describe, expect, it } from 'vitest';
import { EventRing } from '../../src/buffer/event-ring.js';
import { makeEvent } from '../support/events.js';

describe('EventRing', () => {
  it('keeps events in order across wrap-around and refuses beyond capacity', () => {
    const ring = new EventRing(3);
    const events = Array.from({ length: 6 }, () => makeEvent());
    expect(events.slice(0, 4).map((e) => ring.push(e))).toEqual([true, true, true, false]);
    ring.drop();
    ring.drop();
    expect(ring.push(events[4]!)).toBe(true);
    expect(ring.push(events[5]!)).toBe(true);
    const drained = [];
    for (let e = ring.peekRef(); e !== undefined; e = ring.peekRef()) {
      drained.push(e);
      ring.drop();
    }
    expect(drained).toEqual([events[2], events[4], events[5]]);
    expect(ring.size).toBe(0);
  });
});

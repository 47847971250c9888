/**
 * The flush sends a hop side's two events as one frame when it holds both (the end was recorded
 * before the start was encoded), and as two frames otherwise; either way the receiver decodes the
 * same events and the tracer counts each event once.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AttributePolicy } from '../../src/attributes/attribute-set.js';
import { createTracer, type Tracer } from '../../src/index.js';
import { beginClientHop, beginServerHop, endClientHop, endServerHop } from '../../src/instrument/hop.js';
import { UdpReceiver } from '../support/udp-receiver.js';

let receiver: UdpReceiver;
let tracer: Tracer;
const attributes = new AttributePolicy(true).attributeSet(
  [
    ['http.request.method', 'POST'],
    ['http.route', '/nextid'],
  ],
  'http.response.status_code',
);

beforeEach(async () => {
  receiver = await UdpReceiver.start();
  tracer = createTracer({ service: 'ids', hostname: 'host-a', collectors: [receiver.address] });
});

afterEach(async () => {
  await tracer.close();
  await receiver.close();
});

describe('hop pairs', () => {
  it('sends a finished hop side as one frame that decodes to its two events, counted as two', async () => {
    for (let i = 0; i < 300; i++) {
      const hop = beginServerHop(tracer, undefined, 'POST /nextid', attributes);
      const call = beginClientHop(tracer, 'redis', 'INCR');
      endClientHop(tracer, call, undefined, 0);
      endServerHop(tracer, hop, undefined, 200);
    }
    await tracer.flush();
    await receiver.waitForEvents(1200);
    const events = receiver.events;
    expect(events).toHaveLength(1200);
    expect(tracer.stats().sentEvents).toBe(1200);
    expect(Object.values(tracer.stats().droppedEvents).every((n) => n === 0)).toBe(true);
    const bySpan = new Map<string, Map<string, (typeof events)[number]>>();
    for (const event of events) {
      const hop = bySpan.get(event.spanId) ?? new Map();
      hop.set(event.type, event);
      bySpan.set(event.spanId, hop);
    }
    for (const hop of bySpan.values()) {
      const [start, end] = hop.has('IN') ? ['IN', 'OUT'] : ['REQ', 'REP'];
      const s = hop.get(start)!;
      const e = hop.get(end)!;
      expect(s.timestampMicros).toBe(e.timestampMicros - e.durationMicros!);
      expect(s.durationMicros).toBeUndefined();
      if (start === 'IN') {
        expect(s.tags).toEqual({ 'http.request.method': 'POST', 'http.route': '/nextid' });
        expect(e.tags).toEqual({ 'http.response.status_code': '200' });
      }
      expect(s.flags).toBe(1);
      expect(e.flags).toBe(1);
    }
    // About half of what four frames per hop take (≈ 130 bytes each with these attributes).
    const bytes = receiver.sizes.reduce((a, b) => a + b, 0);
    expect(bytes / 600).toBeLessThan(110);
  });

  it("sends a new server hop's span id, drawn as words, as the digits its context shows", async () => {
    const hops = [];
    for (let i = 0; i < 200; i++) {
      const hop = beginServerHop(tracer, undefined, 'POST /nextid', attributes);
      // Half the hops have their id read as text before they are encoded, half only afterwards.
      if (i % 2 === 0) expect(hop.context.spanId).toMatch(/^[0-9a-f]{16}$/);
      endServerHop(tracer, hop, undefined, 200);
      hops.push(hop);
    }
    await tracer.flush();
    await receiver.waitForEvents(400);
    const sent = new Map<string, string[]>();
    for (const event of receiver.events) sent.set(event.spanId, [...(sent.get(event.spanId) ?? []), event.type]);
    expect(sent.size).toBe(200);
    for (const hop of hops) expect(sent.get(hop.spanId)).toEqual(['IN', 'OUT']);
    // The context serialises with its span id, though on the hop that is a getter.
    expect(JSON.parse(JSON.stringify(hops[1]?.context))).toMatchObject({ spanId: hops[1]?.spanId });
    const continued = beginServerHop(tracer, { traceId: '42', hopSpanId: '00f067aa0ba902b7', persistent: false }, 'x');
    expect(continued.spanId).toBe('00f067aa0ba902b7');
    endServerHop(tracer, continued, undefined, 200);
  });

  it('sends the start alone when the end is recorded after it was encoded, and the end on its own later', async () => {
    const hop = beginServerHop(tracer, undefined, 'POST /nextid', attributes);
    await tracer.flush();
    await receiver.waitForEvents(1);
    endServerHop(tracer, hop, { code: 'E_LATE' }, 500);
    await tracer.flush();
    await receiver.waitForEvents(2);
    expect(receiver.events.map((e) => e.type)).toEqual(['IN', 'OUT']);
    expect(receiver.events[1]?.errorCode).toBe('E_LATE');
    expect(tracer.stats().sentEvents).toBe(2);
  });

  it('sends a buffered start and an end that cannot share its frame (an error) one after the other', async () => {
    const hops = [];
    for (let i = 0; i < 50; i++) {
      const hop = beginServerHop(tracer, undefined, 'POST /nextid', attributes);
      endServerHop(
        tracer,
        hop,
        i % 2 === 0 ? { code: 'E_FAILED', description: 'no id' } : undefined,
        i % 2 ? 200 : 500,
      );
      hops.push(hop);
    }
    expect(tracer.stats().bufferedEvents).toBe(100);
    await tracer.flush();
    await receiver.waitForEvents(100);
    const events = receiver.events;
    expect(events).toHaveLength(100);
    expect(tracer.stats()).toMatchObject({ recordedEvents: 100, sentEvents: 100, bufferedEvents: 0 });
    for (const [i, hop] of hops.entries()) {
      const mine = events.filter((e) => e.spanId === hop.spanId);
      expect(mine.map((e) => e.type)).toEqual(['IN', 'OUT']);
      expect(mine[1]?.errorCode).toBe(i % 2 === 0 ? 'E_FAILED' : undefined);
      expect(mine[0]?.timestampMicros).toBe(hop.startMicros);
    }
  });

  it('counts an end riding in its start slot against maxBufferedEvents', async () => {
    const small = createTracer({
      service: 'ids',
      hostname: 'host-a',
      collectors: [receiver.address],
      maxBufferedEvents: 10,
    });
    try {
      for (let i = 0; i < 6; i++)
        endServerHop(small, beginServerHop(small, undefined, 'POST /nextid', attributes), undefined, 200);
      expect(small.stats()).toMatchObject({ recordedEvents: 10, bufferedEvents: 10 });
      expect(small.stats().droppedEvents.bufferFull).toBe(2);
      await small.flush();
      expect(small.stats()).toMatchObject({ sentEvents: 10, bufferedEvents: 0 });
    } finally {
      await small.close();
    }
  });
});

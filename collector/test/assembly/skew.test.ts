import { describe, expect, it } from 'vitest';
import { adjustSpanSkew, adjustTraceSkew, HostOffsets } from '../../src/assembly/skew.js';
import { spanOf } from '../support/hops.js';

const T0 = 1_700_000_000_000_000;
/** Host B's clock runs 50 ms ahead of the reference clock. */
const B_AHEAD = 50_000;

const span = spanOf;

describe('single-hop skew correction', () => {
  it('moves a callee whose clock is ahead back inside REQ/REP, splitting network time evenly', () => {
    // True times: REQ 0, IN 100, OUT 400, REP 500 → client 500 µs, server 300 µs, 100 µs each way.
    const s = span({
      traceId: 't',
      spanId: 's',
      clientHost: 'A',
      serverHost: 'B',
      times: { REQ: T0, IN: T0 + 100 + B_AHEAD, OUT: T0 + 400 + B_AHEAD, REP: T0 + 500 },
    });
    adjustSpanSkew(s, new Map());
    expect(s.skewMicros).toBe(-B_AHEAD);
    expect(s.skewCorrected).toBe(true);
    expect(s.events).toEqual({ REQ: T0, IN: T0 + 100, OUT: T0 + 400, REP: T0 + 500 });
    expect(s.rawEvents.IN).toBe(T0 + 100 + B_AHEAD);
    expect(s.startMicros).toBe(T0);
  });

  it('with asymmetric network time, places IN half the non-server time after REQ', () => {
    // Raw: REQ 0, REP 1000 on A; IN 5000, OUT 5600 on B (behind by an unknown amount).
    // Non-server time 1000 − 600 = 400 → 200 each way → IN at 200 → offset 200 − 5000.
    const s = span({
      traceId: 't',
      spanId: 's',
      clientHost: 'A',
      serverHost: 'B',
      times: { REQ: T0, IN: T0 + 5000, OUT: T0 + 5600, REP: T0 + 1000 },
    });
    adjustSpanSkew(s, new Map());
    expect(s.skewMicros).toBe(-4800);
    expect(s.events).toEqual({ REQ: T0, IN: T0 + 200, OUT: T0 + 800, REP: T0 + 1000 });
  });

  it('leaves a span alone when IN/OUT already fall inside REQ/REP', () => {
    const s = span({
      traceId: 't',
      spanId: 's',
      clientHost: 'A',
      serverHost: 'B',
      times: { REQ: T0, IN: T0 + 10, OUT: T0 + 400, REP: T0 + 500 },
    });
    adjustSpanSkew(s, new Map());
    expect(s.skewMicros).toBe(0);
    expect(s.skewCorrected).toBe(false);
    expect(s.events).toEqual(s.rawEvents);
  });

  it('corrects a partial span (REQ + IN only) by the smallest shift restoring order', () => {
    const s = span({ traceId: 't', spanId: 's', clientHost: 'A', serverHost: 'B', times: { REQ: T0 + 1000, IN: T0 } });
    adjustSpanSkew(s, new Map());
    expect(s.skewMicros).toBe(1000);
    expect(s.events).toEqual({ REQ: T0 + 1000, IN: T0 + 1000 });
  });
});

describe('trace-level skew correction', () => {
  // Root on host A (reference clock) → B (50 ms ahead) → C (correct clock).
  const root = () => span({ traceId: 't', spanId: 'r', to: 'a', serverHost: 'A', times: { IN: T0, OUT: T0 + 1000 } });
  const ab = () =>
    span({
      traceId: 't',
      spanId: 'ab',
      parentSpanId: 'r',
      from: 'a',
      to: 'b',
      clientHost: 'A',
      serverHost: 'B',
      // True: REQ 100, IN 150, OUT 850, REP 900 → 50 µs each way.
      times: { REQ: T0 + 100, IN: T0 + 150 + B_AHEAD, OUT: T0 + 850 + B_AHEAD, REP: T0 + 900 },
    });
  const bc = () =>
    span({
      traceId: 't',
      spanId: 'bc',
      parentSpanId: 'ab',
      from: 'b',
      to: 'c',
      clientHost: 'B',
      serverHost: 'C',
      // True: REQ 200, IN 250, OUT 750, REP 800; REQ/REP recorded on B's clock.
      times: { REQ: T0 + 200 + B_AHEAD, IN: T0 + 250, OUT: T0 + 750, REP: T0 + 800 + B_AHEAD },
    });

  it('applies the skewed middle host offset to its descendant client events (3 levels)', () => {
    // Children arrive first, as they do in practice (they finish before their parents).
    const spans = adjustTraceSkew([bc(), ab(), root()], true);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    expect(byId.get('r')!.events).toEqual({ IN: T0, OUT: T0 + 1000 });
    expect(byId.get('r')!.skewCorrected).toBe(false);
    expect(byId.get('ab')!.skewMicros).toBe(-B_AHEAD);
    expect(byId.get('ab')!.events).toEqual({ REQ: T0 + 100, IN: T0 + 150, OUT: T0 + 850, REP: T0 + 900 });
    // B's client events move by B's offset; C's clock is right so its events stay.
    expect(byId.get('bc')!.events).toEqual({ REQ: T0 + 200, IN: T0 + 250, OUT: T0 + 750, REP: T0 + 800 });
    expect(byId.get('bc')!.skewMicros).toBe(0);
    expect(byId.get('bc')!.skewCorrected).toBe(true);
    expect(byId.get('bc')!.rawEvents.REQ).toBe(T0 + 200 + B_AHEAD);
    expect(spans.map((s) => s.spanId)).toEqual(['r', 'ab', 'bc']);
  });

  it('without the trace context the child would be mis-corrected (why the API recomputes per trace)', () => {
    const lone = bc();
    adjustSpanSkew(lone, new Map());
    expect(lone.skewMicros).not.toBe(0);
  });

  it('keeps raw times when correction is off', () => {
    const spans = adjustTraceSkew([root(), ab(), bc()], false);
    for (const s of spans) {
      expect(s.events).toEqual(s.rawEvents);
      expect(s.skewMicros).toBe(0);
    }
  });

  it('does not modify its input and survives parent cycles', () => {
    const a = ab();
    const b = bc();
    a.parentSpanId = 'bc';
    const before = structuredClone(a);
    const spans = adjustTraceSkew([a, b], true);
    expect(spans).toHaveLength(2);
    expect(a).toEqual(before);
  });
});

describe('HostOffsets', () => {
  it('keeps the first offset of each host, beyond the two held inline too', () => {
    const offsets = new HostOffsets();
    const hosts = ['a', 'b', 'c', 'd'];
    hosts.forEach((host, i) => {
      expect(offsets.has(host)).toBe(false);
      offsets.set(host, (i + 1) * 100);
    });
    expect(hosts.map((h) => offsets.get(h))).toEqual([100, 200, 300, 400]);
    expect(offsets.get('e')).toBeUndefined();
    expect(hosts.every((h) => offsets.has(h))).toBe(true);
  });
});

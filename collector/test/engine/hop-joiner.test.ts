import type { TraceEvent } from '@phosphor/wire';
import { describe, expect, it } from 'vitest';
import type { EmitReason } from '../../src/assembly/span-sink.js';
import { CollectorEngine, type CollectorEngineOptions } from '../../src/engine/collector-engine.js';
import type { Span } from '../../src/model/span.js';
import { hopEvents, prng, shuffle } from '../support/hops.js';

const T0 = 1_700_000_000_000_000;

function setup(overrides: Partial<CollectorEngineOptions> = {}) {
  let now = 0;
  const emitted: { span: Span; reason: EmitReason }[] = [];
  const assembler = new CollectorEngine(
    {
      spanTimeoutMillis: 1000,
      maxPendingSpans: 1000,
      skewCorrection: true,
      lateWindowMillis: 60_000,
      maxRememberedSpans: 1000,
      now: () => now,
      ...overrides,
    },
    (spans, reason) => {
      for (const span of spans) emitted.push({ span, reason });
    },
  );
  return {
    assembler,
    emitted,
    advance(ms: number) {
      now += ms;
    },
  };
}

const fullHop = (spanId: string, traceId = 't1') =>
  hopEvents({ traceId, spanId, times: { REQ: T0, IN: T0 + 100, OUT: T0 + 400, REP: T0 + 500 } });

describe('HopJoiner (through CollectorEngine)', () => {
  it('joins the four events of a hop in every arrival order', () => {
    const random = prng(42);
    for (let round = 0; round < 24; round++) {
      const { assembler, emitted } = setup();
      for (const event of shuffle(fullHop(`span${round}`), random)) assembler.addEvents([event]);
      expect(emitted).toHaveLength(1);
      const { span, reason } = emitted[0]!;
      expect(reason).toBe('complete');
      expect(span.missing).toEqual([]);
      expect(span.rawEvents).toEqual({ REQ: T0, IN: T0 + 100, OUT: T0 + 400, REP: T0 + 500 });
      expect(span.clientDurationMicros).toBe(500);
      expect(span.serverDurationMicros).toBe(300);
    }
  });

  it('assembles many interleaved hops from shuffled, duplicated events', () => {
    const random = prng(7);
    const { assembler, emitted } = setup();
    const events: TraceEvent[] = [];
    for (let i = 0; i < 200; i++) events.push(...fullHop(`s${i}`, `trace${i % 17}`));
    const duplicates = events.filter((_, i) => i % 5 === 0);
    const stream = shuffle([...events, ...duplicates], random);
    for (let i = 0; i < stream.length; i += 7) assembler.addEvents(stream.slice(i, i + 7));
    // A duplicate can arrive after its hop completed (counted via the remembered set) or before (pending).
    expect(emitted).toHaveLength(200);
    expect(emitted.every((e) => e.span.missing.length === 0)).toBe(true);
    const stats = assembler.stats();
    expect(stats.duplicateEvents).toBe(duplicates.length);
    expect(stats.receivedEvents).toBe(events.length + duplicates.length);
    expect(stats.completeSpans).toBe(200);
    expect(stats.pendingSpans).toBe(0);
  });

  it('emits a partial span after spanTimeoutMillis with the missing list', () => {
    const { assembler, emitted, advance } = setup();
    const [req, , out] = fullHop('a');
    assembler.addEvents([req!, out!]);
    advance(999);
    assembler.sweep();
    expect(emitted).toHaveLength(0);
    advance(1);
    assembler.sweep();
    expect(emitted).toHaveLength(1);
    expect(emitted[0]!.reason).toBe('timeout');
    expect(emitted[0]!.span.missing).toEqual(['IN', 'REP']);
    expect(assembler.stats()).toMatchObject({ partialSpans: 1, timedOutSpans: 1, pendingSpans: 0 });
  });

  it('treats a root span (IN/OUT only) and an uninstrumented callee (REQ/REP only) as normal partial spans', () => {
    const { assembler, emitted, advance } = setup();
    assembler.addEvents(hopEvents({ traceId: 't', spanId: 'root', times: { IN: T0, OUT: T0 + 50 } }));
    assembler.addEvents(
      hopEvents({ traceId: 't', spanId: 'redis', parentSpanId: 'root', times: { REQ: T0 + 10, REP: T0 + 20 } }),
    );
    advance(1000);
    assembler.sweep();
    const byId = new Map(emitted.map((e) => [e.span.spanId, e.span]));
    expect(byId.get('root')).toMatchObject({ missing: ['REQ', 'REP'], serverDurationMicros: 50, durationMicros: 50 });
    expect(byId.get('root')!.clientHost).toBeUndefined();
    expect(byId.get('redis')).toMatchObject({ missing: ['IN', 'OUT'], clientDurationMicros: 10, parentSpanId: 'root' });
    expect(byId.get('redis')!.serverHost).toBeUndefined();
  });

  it('updates a partial span with a late event and counts it', () => {
    const { assembler, emitted, advance } = setup();
    const [req, inn, out, rep] = fullHop('late');
    assembler.addEvents([req!, inn!, out!]);
    advance(1000);
    assembler.sweep();
    assembler.addEvents([rep!]);
    expect(emitted.map((e) => e.reason)).toEqual(['timeout', 'late']);
    expect(emitted[1]!.span.missing).toEqual([]);
    expect(emitted[1]!.span.lateEvents).toBe(1);
    // The span is complete now: a repeat of any event is a duplicate, not another update.
    assembler.addEvents([rep!, req!]);
    expect(emitted).toHaveLength(2);
    expect(assembler.stats()).toMatchObject({ lateEvents: 1, updatedSpans: 1, duplicateEvents: 2, pendingSpans: 0 });
  });

  it('counts a duplicate of a completed span instead of starting a new partial one', () => {
    const { assembler, emitted, advance } = setup();
    const events = fullHop('dup');
    assembler.addEvents(events);
    assembler.addEvents([events[1]!]);
    advance(5000);
    assembler.sweep();
    expect(emitted).toHaveLength(1);
    expect(assembler.stats().duplicateEvents).toBe(1);
  });

  it('bounds memory: past maxPendingSpans the oldest pending spans are emitted as partial', () => {
    const { assembler, emitted } = setup({ maxPendingSpans: 10 });
    for (let i = 0; i < 25; i++) assembler.addEvents([fullHop(`p${i}`)[0]!]);
    const stats = assembler.stats();
    expect(stats.pendingSpans).toBe(10);
    expect(stats.evictedPendingSpans).toBe(15);
    expect(emitted.map((e) => e.span.spanId)).toEqual(Array.from({ length: 15 }, (_, i) => `p${i}`));
    expect(emitted.every((e) => e.reason === 'evicted' && e.span.missing.length === 3)).toBe(true);
  });

  it('bounds remembered spans by maxRememberedSpans', () => {
    const { assembler } = setup({ maxRememberedSpans: 5 });
    for (let i = 0; i < 20; i++) assembler.addEvents(fullHop(`r${i}`));
    expect(assembler.stats().rememberedSpans).toBe(5);
  });

  it('flushAll emits every pending span (shutdown) and pendingSpansOf shows in-flight spans', () => {
    const { assembler, emitted } = setup();
    assembler.addEvents([fullHop('x', 'tA')[0]!, fullHop('y', 'tB')[1]!]);
    expect(assembler.pendingSpansOf('tA').map((s) => s.spanId)).toEqual(['x']);
    expect(assembler.pendingSpansOf('nope')).toEqual([]);
    assembler.flushAll();
    expect(emitted.map((e) => [e.span.spanId, e.reason])).toEqual([
      ['x', 'shutdown'],
      ['y', 'shutdown'],
    ]);
  });

  it('takes errors from OUT first, then REP, and merges tags with server keys winning', () => {
    const { assembler, emitted } = setup();
    const events = hopEvents({ traceId: 't', spanId: 'e', times: { REQ: T0, IN: T0 + 1, OUT: T0 + 2, REP: T0 + 3 } });
    events[0]!.tags = { side: 'client', a: '1' };
    events[2]!.tags = { side: 'server' };
    events[2]!.errorCode = 'NOT_FOUND';
    events[3]!.errorCode = 'CLIENT_TIMEOUT';
    assembler.addEvents(events);
    expect(emitted[0]!.span).toMatchObject({ errorCode: 'NOT_FOUND', tags: { side: 'server', a: '1' } });
  });

  it('keeps hops of different traces apart when they share a span id (hostile or broken tracers)', () => {
    const { assembler, emitted } = setup();
    const a = fullHop('same', 'trace-a');
    const b = fullHop('same', 'trace-b');
    const c = fullHop('same', 'trace-c');
    // Interleaved halves: each trace's hop must complete on its own events only.
    assembler.addEvents([a[0]!, b[0]!, c[0]!, a[1]!, b[1]!, c[1]!, b[2]!, b[3]!, a[2]!, c[2]!, c[3]!, a[3]!]);
    expect(emitted.map((e) => e.span.traceId)).toEqual(['trace-b', 'trace-c', 'trace-a']);
    expect(emitted.every((e) => e.reason === 'complete' && e.span.missing.length === 0)).toBe(true);
    // Each is remembered separately: a repeat is a duplicate of its own trace's hop.
    assembler.addEvents([a[0]!, fullHop('same', 'trace-d')[0]!]);
    expect(assembler.stats()).toMatchObject({ duplicateEvents: 1, pendingSpans: 1, rememberedSpans: 3 });
  });

  it('times out hops in first-seen order although they complete and leave in any order', () => {
    const { assembler, emitted, advance } = setup({ spanTimeoutMillis: 100 });
    const hops = Array.from({ length: 50 }, (_, i) => fullHop(`o${i}`));
    for (const [i, hop] of hops.entries()) {
      assembler.addEvents([hop[0]!]);
      advance(i % 3);
    }
    // Complete every third hop; the others must time out oldest first.
    for (let i = 0; i < hops.length; i += 3) assembler.addEvents((hops[i] as TraceEvent[]).slice(1));
    advance(100);
    assembler.sweep();
    const timedOut = emitted.filter((e) => e.reason === 'timeout').map((e) => e.span.spanId);
    expect(timedOut).toEqual(hops.map((_, i) => `o${i}`).filter((_, i) => i % 3 !== 0));
    expect(assembler.stats()).toMatchObject({ pendingSpans: 0, completeSpans: 17, timedOutSpans: 33 });
  });

  it('forgets remembered spans after lateWindowMillis, oldest first, and then treats their events as new', () => {
    const { assembler, emitted, advance } = setup({ lateWindowMillis: 500 });
    assembler.addEvents(fullHop('f1'));
    advance(300);
    assembler.addEvents(fullHop('f2'));
    advance(250);
    assembler.sweep();
    expect(assembler.stats().rememberedSpans).toBe(1);
    // f1 is forgotten: its REQ starts a new pending hop; f2's is still a duplicate.
    assembler.addEvents([fullHop('f1')[0]!, fullHop('f2')[0]!]);
    expect(assembler.stats()).toMatchObject({ pendingSpans: 1, duplicateEvents: 1 });
    expect(emitted).toHaveLength(2);
  });

  it('shares the raw times when nothing moves, and copies them when skew correction moves a span', () => {
    const { assembler, emitted } = setup();
    assembler.addEvents(fullHop('still'));
    const still = emitted[0]!.span;
    expect(still.events).toEqual(still.rawEvents);
    expect(still.skewCorrected).toBe(false);
    assembler.addEvents(
      hopEvents({
        traceId: 'skewed',
        spanId: 'moved',
        times: { REQ: T0, IN: T0 + 5000, OUT: T0 + 5300, REP: T0 + 500 },
      }),
    );
    const moved = emitted[1]!.span;
    expect(moved.rawEvents).toEqual({ REQ: T0, IN: T0 + 5000, OUT: T0 + 5300, REP: T0 + 500 });
    expect(moved.events).toEqual({ REQ: T0, IN: T0 + 100, OUT: T0 + 400, REP: T0 + 500 });
    expect(moved.skewMicros).toBe(-4900);
  });

  it('flushAndRelease emits pending spans, then forgets remembered ones but keeps the counters', () => {
    const { assembler, emitted } = setup();
    assembler.addEvents([...fullHop('done'), fullHop('open')[0]!]);
    assembler.flushAndRelease();
    expect(emitted.map((e) => [e.span.spanId, e.reason])).toEqual([
      ['done', 'complete'],
      ['open', 'shutdown'],
    ]);
    expect(assembler.stats()).toMatchObject({ pendingSpans: 0, rememberedSpans: 0, completeSpans: 1, partialSpans: 1 });
    // Nothing is remembered: an event of the completed hop starts a new pending hop.
    assembler.addEvents([fullHop('done')[0]!]);
    expect(assembler.stats()).toMatchObject({ pendingSpans: 1, duplicateEvents: 0 });
  });
});

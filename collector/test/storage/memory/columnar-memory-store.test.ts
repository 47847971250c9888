import type { EventType } from '@phosphor/wire';
import { describe, expect, it } from 'vitest';
import type { HopTimes, Span, TraceQuery, TraceSummary } from '../../../src/model/span.js';
import { MemoryStore } from '../../../src/storage/memory/memory-store.js';
import { summarizeTrace, traceMatches } from '../../../src/storage/trace-query.js';

const T0 = 1_700_000_000_000_000;

/** Deterministic pseudo-random numbers (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPES: EventType[] = ['REQ', 'IN', 'OUT', 'REP'];
const SERVICES = ['front', 'ids', 'auth', 'db', ''];
const ENDPOINTS = ['GET /', 'NextID', 'Check', 'query'];

/** A span with every kind of field the store keeps, some of them unusual (long ids, odd times). */
function randomSpan(next: () => number, traceId: string, spanId: string, parentSpanId?: string): Span {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const raw: HopTimes = {};
  const start = T0 + Math.floor(next() * 1e9);
  let mask = 0;
  TYPES.forEach((type, k) => {
    if (next() < 0.8) {
      raw[type as keyof HopTimes] = start + k * 100 + Math.floor(next() * 50);
      mask |= 1 << k;
    }
  });
  if (mask === 0) {
    raw.IN = start;
    mask = 2;
  }
  const shape = next();
  let events: HopTimes = raw;
  if (shape < 0.3) {
    // Skew-corrected: server side shifted, client side shifted by an inherited offset.
    const server = Math.floor(next() * 2000) - 1000;
    const client = next() < 0.5 ? 0 : 250.5;
    events = {};
    if (raw.REQ !== undefined) events.REQ = raw.REQ + client;
    if (raw.IN !== undefined) events.IN = raw.IN + server;
    if (raw.OUT !== undefined) events.OUT = raw.OUT + server;
    if (raw.REP !== undefined) events.REP = raw.REP + client;
  } else if (shape < 0.35) {
    // Times that are no per-side shift of the raw ones: kept as they are.
    events = { ...raw, REQ: (raw.REQ ?? start) + 7, REP: (raw.REP ?? start) - 3 };
  }
  const missing = TYPES.filter((_, k) => (mask & (1 << k)) === 0);
  const tagShape = next();
  const tags: Record<string, string> =
    tagShape < 0.5 ? {} : tagShape < 0.8 ? { region: pick(['eu', 'us']) } : { correlation_id: `${traceId}/${spanId}` };
  const error = next() < 0.2;
  return {
    traceId,
    spanId,
    parentSpanId,
    from: pick(SERVICES),
    fromEndpoint: pick(ENDPOINTS),
    to: pick(SERVICES),
    toEndpoint: pick(ENDPOINTS),
    clientHost: next() < 0.8 ? pick(['web-1', 'web-2']) : undefined,
    clientZone: next() < 0.3 ? 'zone-a' : undefined,
    serverHost: next() < 0.8 ? pick(['ids-1', 'ids-2', 'hôte-ü']) : undefined,
    serverZone: next() < 0.3 ? 'zone-b' : undefined,
    events,
    rawEvents: raw,
    skewMicros: events === raw ? 0 : Math.floor(next() * 100),
    skewCorrected: events !== raw,
    missing: next() < 0.05 ? [...missing].reverse() : missing,
    clientDurationMicros: next() < 0.7 ? Math.floor(next() * 5000) : undefined,
    serverDurationMicros: next() < 0.7 ? next() * 5000 : undefined,
    startMicros: start,
    durationMicros: Math.floor(next() * 60_000),
    errorCode: error ? pick(['UNAVAILABLE', 'DEADLINE', '']) : undefined,
    errorDescription: error && next() < 0.5 ? `failed after ${Math.floor(next() * 1e6)} µs` : undefined,
    tags,
    persistent: next() < 0.1 ? true : next() < 0.05 ? false : undefined,
    lateEvents: next() < 0.1 ? 1 + Math.floor(next() * 3) : undefined,
  };
}

/** The store's contract as plain objects: whole traces kept in arrival order, oldest evicted first. */
class ReferenceStore {
  private readonly traces = new Map<string, Span[]>();
  constructor(private readonly maxSpans: number) {}
  write(spans: readonly Span[]): void {
    for (const span of spans) {
      const trace = this.traces.get(span.traceId);
      if (!trace) this.traces.set(span.traceId, [span]);
      else {
        const at = trace.findIndex((s) => s.spanId === span.spanId);
        if (at >= 0) trace[at] = span;
        else trace.push(span);
      }
    }
    let count = [...this.traces.values()].reduce((n, t) => n + t.length, 0);
    for (const [id, trace] of this.traces) {
      if (count <= this.maxSpans) break;
      this.traces.delete(id);
      count -= trace.length;
    }
  }
  getTrace(traceId: string): Span[] | undefined {
    return this.traces.get(traceId);
  }
  traceIds(): string[] {
    return [...this.traces.keys()];
  }
  /** Search results for queries without a service (the service index orders by first appearance). */
  findTraces(query: TraceQuery): TraceSummary[] {
    const results: TraceSummary[] = [];
    for (const id of [...this.traces.keys()].reverse()) {
      if (results.length >= query.limit) break;
      const spans = this.traces.get(id) as Span[];
      if (traceMatches(spans, query)) results.push(summarizeTrace(id, spans));
    }
    return results.sort((a, b) => b.startMicros - a.startMicros);
  }
}

/** Trace ids of every shape the store keeps: tracer, W3C hex, long, non-Latin-1. */
function traceIdOf(i: number): string {
  switch (i % 4) {
    case 0:
      return String(1e19 + i);
    case 1:
      return i.toString(16).padStart(32, '0');
    case 2:
      return `a-very-long-trace-id-past-the-inline-room-${i}`;
    default:
      return `trace-${i}-✓`;
  }
}

describe('MemoryStore as columns', () => {
  it.each([1, 2, 3])(
    'reads back every span exactly as written, through upserts and eviction (seed %i)',
    async (seed) => {
      const next = random(seed);
      const store = new MemoryStore({ maxSpans: 300 });
      const reference = new ReferenceStore(300);
      const traceCount = 400;
      for (let step = 0; step < 1500; step++) {
        const batch: Span[] = [];
        const size = 1 + Math.floor(next() * 5);
        for (let b = 0; b < size; b++) {
          // Mostly recent traces, sometimes an old one gaining or replacing a span.
          const t = Math.min(traceCount - 1, Math.floor(step / 4) + Math.floor(next() * 3) - (next() < 0.1 ? 30 : 0));
          const traceId = traceIdOf(Math.max(0, t));
          const s = Math.floor(next() * (next() < 0.05 ? 40 : 4));
          const spanId = s === 3 ? `span-id-longer-than-sixteen-${s}` : `s${s.toString(16).padStart(15, '0')}`;
          batch.push(randomSpan(next, traceId, spanId, s === 0 ? undefined : 's000000000000000'));
        }
        store.write(batch);
        reference.write(batch);
      }
      const stats = store.stats();
      const ids = reference.traceIds();
      expect(stats.storedTraces).toBe(ids.length);
      expect(stats.storedSpans).toBeLessThanOrEqual(300);
      const { updatedSpans = 0, storedSpans = 0, evictedSpans = 0 } = stats;
      expect(stats.writtenSpans).toBe(updatedSpans + storedSpans + evictedSpans);
      for (const id of ids) expect(await store.getTrace(id)).toEqual(reference.getTrace(id));
      // Spans read back serialise as written: same keys in the same order.
      const [first] = ids;
      expect(JSON.stringify(await store.getTrace(first as string))).toBe(
        JSON.stringify(reference.getTrace(first as string)),
      );
      for (let t = 0; t < traceCount; t++) {
        if (!ids.includes(traceIdOf(t))) expect(await store.getTrace(traceIdOf(t))).toBeUndefined();
      }
      const queries: TraceQuery[] = [
        { limit: 1000 },
        { limit: 7 },
        { endpoint: 'NextID', limit: 1000 },
        { error: true, limit: 1000 },
        { error: false, limit: 1000 },
        { minDurationMicros: 30_000, maxDurationMicros: 50_000, limit: 1000 },
        { tags: { region: 'eu' }, limit: 1000 },
        { sinceMicros: T0 + 2e8, untilMicros: T0 + 6e8, limit: 1000 },
      ];
      for (const query of queries) expect(await store.findTraces(query)).toEqual(reference.findTraces(query));
      // By service: exactly the stored traces with a span calling or serving it.
      for (const service of ['front', 'ids', 'nobody']) {
        const found = (await store.findTraces({ service, limit: 1000 })).map((t) => t.traceId).sort();
        const expected = ids
          .filter((id) => reference.getTrace(id)?.some((s) => s.from === service || s.to === service))
          .sort();
        expect(found).toEqual(expected);
      }
    },
  );

  it('keeps per-span error descriptions and tag sets through heavy eviction, and forgets evicted ones', async () => {
    const store = new MemoryStore({ maxSpans: 100 });
    const next = random(9);
    for (let i = 0; i < 5000; i++) {
      const span = randomSpan(next, `t${i}`, 's1');
      store.write([{ ...span, errorCode: 'E', errorDescription: `unique ${i}`, tags: { correlation_id: `c${i}` } }]);
    }
    const [last] = (await store.getTrace('t4999')) as Span[];
    expect(last).toMatchObject({ errorDescription: 'unique 4999', tags: { correlation_id: 'c4999' } });
    expect(await store.findTraces({ tags: { correlation_id: 'c4899' }, limit: 10 })).toHaveLength(0);
    expect((await store.findTraces({ tags: { correlation_id: 'c4900' }, limit: 10 })).map((t) => t.traceId)).toEqual([
      't4900',
    ]);
    expect(((await store.getTrace('t4900')) as Span[])[0]?.errorDescription).toBe('unique 4900');
    expect(store.stats()).toMatchObject({ storedSpans: 100, evictedSpans: 4900 });
  });

  it('gives back tag objects that cannot be changed through a read span', async () => {
    const store = new MemoryStore({ maxSpans: 10 });
    const span = randomSpan(random(4), 't', 's');
    store.write([{ ...span, tags: { a: '1' } }]);
    const [read] = (await store.getTrace('t')) as Span[];
    expect(() => {
      (read as Span).tags.a = '2';
    }).toThrow(TypeError);
    expect(((await store.getTrace('t')) as Span[])[0]?.tags).toEqual({ a: '1' });
  });

  it('holds nothing after close and ignores writes', async () => {
    const store = new MemoryStore({ maxSpans: 10 });
    store.write([randomSpan(random(5), 't', 's')]);
    await store.close();
    store.write([randomSpan(random(6), 'u', 's')]);
    expect(await store.getTrace('t')).toBeUndefined();
    expect(await store.getTrace('u')).toBeUndefined();
    expect(await store.findTraces({ limit: 10 })).toEqual([]);
    expect(store.stats()).toMatchObject({ storedSpans: 0, storedTraces: 0 });
  });
});

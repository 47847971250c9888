import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/storage/memory/memory-store.js';
import { spanOf } from '../support/hops.js';

const T0 = 1_700_000_000_000_000;

const span = spanOf;

function trace(traceId: string, start: number, opts: { service?: string; error?: boolean; slow?: boolean } = {}) {
  const duration = opts.slow ? 50_000 : 500;
  return [
    span({
      traceId,
      spanId: `${traceId}-r`,
      from: '',
      fromEndpoint: '',
      to: 'front',
      toEndpoint: 'GET /',
      times: { IN: start, OUT: start + duration + 100 },
    }),
    span({
      traceId,
      spanId: `${traceId}-c`,
      parentSpanId: `${traceId}-r`,
      from: 'front',
      fromEndpoint: 'GET /',
      to: opts.service ?? 'ids',
      toEndpoint: 'NextID',
      times: { REQ: start + 10, IN: start + 20, OUT: start + duration, REP: start + duration + 10 },
      ...(opts.error ? { errorCode: 'UNAVAILABLE' } : {}),
      tags: { correlation_id: traceId },
    }),
  ];
}

describe('MemoryStore', () => {
  it('returns a stored trace and upserts a span by id', async () => {
    const store = new MemoryStore({ maxSpans: 100 });
    const spans = trace('t1', T0);
    store.write(spans);
    const updated = { ...spans[1]!, lateEvents: 1 };
    store.write([updated]);
    const got = await store.getTrace('t1');
    expect(got).toHaveLength(2);
    expect(got!.find((s) => s.spanId === 't1-c')!.lateEvents).toBe(1);
    expect(await store.getTrace('nope')).toBeUndefined();
    expect(store.stats()).toMatchObject({ storedSpans: 2, updatedSpans: 1, storedTraces: 1 });
  });

  it('stays bounded: evicts whole traces, oldest first, and counts them', async () => {
    const store = new MemoryStore({ maxSpans: 10 });
    for (let i = 0; i < 20; i++) store.write(trace(`t${i}`, T0 + i * 1000));
    const stats = store.stats();
    expect(stats.storedSpans).toBe(10);
    expect(stats.storedTraces).toBe(5);
    expect(stats.evictedTraces).toBe(15);
    expect(stats.evictedSpans).toBe(30);
    expect(await store.getTrace('t14')).toBeUndefined();
    expect(await store.getTrace('t15')).toHaveLength(2);
    // The service index forgets evicted traces too.
    expect((await store.findTraces({ service: 'ids', limit: 100 })).map((t) => t.traceId)).toEqual([
      't19',
      't18',
      't17',
      't16',
      't15',
    ]);
  });

  it('searches by service, endpoint, duration, error, tag and time, newest first', async () => {
    const store = new MemoryStore({ maxSpans: 1000 });
    store.write(trace('a', T0, { service: 'ids' }));
    store.write(trace('b', T0 + 1000, { service: 'ids', error: true }));
    store.write(trace('c', T0 + 2000, { service: 'auth', slow: true }));
    const ids = async (q: Parameters<MemoryStore['findTraces']>[0]) =>
      (await store.findTraces(q)).map((t) => t.traceId);
    expect(await ids({ limit: 10 })).toEqual(['c', 'b', 'a']);
    expect(await ids({ service: 'ids', limit: 10 })).toEqual(['b', 'a']);
    expect(await ids({ service: 'front', endpoint: 'GET /', limit: 10 })).toEqual(['c', 'b', 'a']);
    expect(await ids({ service: 'ids', endpoint: 'GET /', limit: 10 })).toEqual([]);
    expect(await ids({ minDurationMicros: 10_000, limit: 10 })).toEqual(['c']);
    expect(await ids({ error: true, limit: 10 })).toEqual(['b']);
    expect(await ids({ error: false, limit: 10 })).toEqual(['c', 'a']);
    expect(await ids({ tags: { correlation_id: 'a' }, limit: 10 })).toEqual(['a']);
    expect(await ids({ sinceMicros: T0 + 500, untilMicros: T0 + 1500, limit: 10 })).toEqual(['b']);
    expect(await ids({ limit: 2 })).toEqual(['c', 'b']);
    const [summary] = await store.findTraces({ service: 'auth', limit: 1 });
    expect(summary).toEqual({
      traceId: 'c',
      rootService: 'front',
      rootEndpoint: 'GET /',
      rootSeen: true,
      startMicros: T0 + 2000,
      durationMicros: 50_100,
      spanCount: 2,
      errorCount: 0,
      services: ['auth', 'front'],
    });
  });

  it('names a trace whose root span is not stored yet by its earliest orphan, and says the root is not seen', async () => {
    const store = new MemoryStore({ maxSpans: 100 });
    // Only the child hop is in: its parent (the root hop, still in progress) is not.
    const [, child] = trace('t', T0);
    store.write([child!]);
    const [pending] = await store.findTraces({ limit: 1 });
    expect(pending).toMatchObject({ traceId: 't', rootService: 'ids', rootEndpoint: 'NextID', rootSeen: false });
    // The root arrives later (and starts earlier): it names the trace now.
    const [root] = trace('t', T0);
    store.write([root!]);
    const [whole] = await store.findTraces({ limit: 1 });
    expect(whole).toMatchObject({ rootService: 'front', rootEndpoint: 'GET /', rootSeen: true, spanCount: 2 });
  });

  it('reports health in the Flaki shape and is safe to close twice', async () => {
    const store = new MemoryStore({ maxSpans: 10 });
    const health = await store.health();
    expect(health.status).toBe('OK');
    expect(health.tests[0]).toMatchObject({ name: 'capacity', status: 'OK' });
    expect(health.tests[0]!.duration).toMatch(/^\d+(\.\d{1,3})?(µs|ms|s)$/); // as Go prints a time.Duration
    await store.close();
    await store.close();
    expect((await store.health()).status).toBe('KO');
  });

  it('upserts by span id in traces larger than the linear-search threshold', async () => {
    const store = new MemoryStore({ maxSpans: 1000 });
    const spans = Array.from({ length: 40 }, (_, i) =>
      span({ traceId: 'big', spanId: `s${i}`, to: 'ids', times: { IN: T0 + i, OUT: T0 + i + 10 } }),
    );
    store.write(spans);
    store.write([
      { ...spans[3]!, lateEvents: 1 },
      { ...spans[33]!, lateEvents: 2 },
    ]);
    const got = await store.getTrace('big');
    expect(got).toHaveLength(40);
    expect(got!.find((s) => s.spanId === 's3')!.lateEvents).toBe(1);
    expect(got!.find((s) => s.spanId === 's33')!.lateEvents).toBe(2);
    expect(store.stats()).toMatchObject({ storedSpans: 40, updatedSpans: 2 });
  });

  it('keeps the service index right through heavy eviction (traces gaining services late included)', async () => {
    const store = new MemoryStore({ maxSpans: 50 });
    for (let i = 0; i < 500; i++) {
      store.write(trace(`t${i}`, T0 + i * 10, { service: i % 2 === 0 ? 'even' : 'odd' }));
      // Every fifth trace later gains a span calling "late", after newer traces appeared.
      if (i >= 2 && i % 5 === 0) {
        store.write([
          span({
            traceId: `t${i - 2}`,
            spanId: `t${i - 2}-x`,
            from: 'front',
            to: 'late',
            times: { REQ: T0, REP: T0 + 1 },
          }),
        ]);
      }
    }
    const stored = new Set<string>();
    for (let i = 0; i < 500; i++) if (await store.getTrace(`t${i}`)) stored.add(`t${i}`);
    expect(store.stats().storedSpans).toBeLessThanOrEqual(50);
    for (const service of ['even', 'odd', 'late', 'front']) {
      const found = (await store.findTraces({ service, limit: 1000 })).map((t) => t.traceId);
      // Exactly the stored traces that involve the service: none evicted, none missed.
      const expected = [...stored].filter((id) => {
        const n = Number(id.slice(1));
        if (service === 'front') return true;
        if (service === 'late') return n % 5 === 3 && n + 2 < 500;
        return (n % 2 === 0) === (service === 'even');
      });
      expect(found.sort()).toEqual(expected.sort());
    }
  });

  it('upserts a lone span in place and turns a lone span into a list when a second arrives', async () => {
    const store = new MemoryStore({ maxSpans: 100 });
    const [root, child] = trace('solo', T0);
    store.write([root!]);
    store.write([{ ...root!, lateEvents: 1 }]);
    expect((await store.getTrace('solo'))!.map((s) => [s.spanId, s.lateEvents])).toEqual([['solo-r', 1]]);
    store.write([child!]);
    expect((await store.getTrace('solo'))!.map((s) => s.spanId)).toEqual(['solo-r', 'solo-c']);
    expect(store.stats()).toMatchObject({ storedSpans: 2, updatedSpans: 1, storedTraces: 1 });
    expect((await store.findTraces({ service: 'ids', limit: 10 })).map((t) => t.traceId)).toEqual(['solo']);
  });
});

import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { EmitReason } from '../../src/assembly/span-sink.js';
import type { Span } from '../../src/model/span.js';
import { SpanBatch } from '../../src/model/span-batch.js';
import { ComponentRegistry, simpleHealth } from '../../src/pipeline/component-registry.js';
import type { SpanConsumer } from '../../src/pipeline/pipeline-component.js';
import { SpanFanOut } from '../../src/pipeline/span-fan-out.js';

const silent = pino({ level: 'silent' });

function recorder(name: string): SpanConsumer & { seen: [number, EmitReason][] } {
  const seen: [number, EmitReason][] = [];
  return { name, statsKey: name, seen, consume: (spans, reason) => void seen.push([spans.length, reason]) };
}

const someSpans = [
  { traceId: 't', spanId: 's' },
  { traceId: 't', spanId: 'u' },
] as unknown as Span[];

describe('SpanFanOut', () => {
  it('hands every batch to each consumer in order, with its reason', () => {
    const fanOut = new SpanFanOut(silent, 60_000);
    const a = recorder('a');
    const b = recorder('b');
    fanOut.add(a);
    fanOut.add(b);
    fanOut.consume(someSpans, 'complete');
    fanOut.consume(someSpans.slice(1), 'late');
    expect(a.seen).toEqual([
      [2, 'complete'],
      [1, 'late'],
    ]);
    expect(b.seen).toEqual(a.seen);
    expect(fanOut.stats()).toEqual({ sinkErrors: 0, consumerErrors: { a: 0, b: 0 } });
  });

  it('isolates a throwing consumer: the others still get the batch, the failure is counted per consumer', () => {
    const fanOut = new SpanFanOut(silent, 60_000);
    const before = recorder('before');
    const after = recorder('after');
    fanOut.add(before);
    fanOut.add({
      name: 'broken',
      consume() {
        throw new Error('disk on fire');
      },
    });
    fanOut.add(after);
    expect(() => fanOut.consume(someSpans, 'timeout')).not.toThrow();
    fanOut.consume(someSpans, 'complete');
    expect(before.seen).toHaveLength(2);
    expect(after.seen).toHaveLength(2);
    expect(fanOut.stats()).toEqual({ sinkErrors: 2, consumerErrors: { before: 0, broken: 2, after: 0 } });
  });
});

/** A batch of two finished spans, counting how often its Span objects are asked for. */
function countingBatch(): SpanBatch & { spansCalls: number } {
  const batch = new SpanBatch() as SpanBatch & { spansCalls: number };
  batch.spansCalls = 0;
  const spans = batch.spans.bind(batch);
  batch.spans = () => {
    batch.spansCalls++;
    return spans();
  };
  const span: Span = {
    traceId: '1308677380302176256',
    spanId: 'a1b2c3d4e5f60718',
    from: 'front',
    fromEndpoint: 'GET /',
    to: 'ids',
    toEndpoint: 'NextID',
    events: { IN: 1, OUT: 2 },
    rawEvents: { IN: 1, OUT: 2 },
    skewMicros: 0,
    skewCorrected: false,
    missing: ['REQ', 'REP'],
    serverDurationMicros: 1,
    startMicros: 1,
    durationMicros: 1,
    tags: {},
  };
  batch.push(span);
  batch.push({ ...span, spanId: 'b1b2c3d4e5f60718' });
  return batch;
}

describe('SpanFanOut with span batches', () => {
  it('gives the batch to consumers that read columns and one shared set of Span objects to the others', () => {
    const fanOut = new SpanFanOut(silent, 60_000);
    const columns: [number, EmitReason][] = [];
    const objects: Span[][] = [];
    fanOut.add({
      name: 'columns',
      consume: () => {},
      consumeBatch: (b, reason) => void columns.push([b.length, reason]),
    });
    fanOut.add({ name: 'objects-1', consume: (spans) => void objects.push(spans as Span[]) });
    fanOut.add({ name: 'objects-2', consume: (spans) => void objects.push(spans as Span[]) });
    const batch = countingBatch();
    fanOut.consumeBatch(batch, 'complete');
    expect(columns).toEqual([[2, 'complete']]);
    expect(objects).toHaveLength(2);
    expect(objects[0]).toBe(objects[1]);
    expect(objects[0]?.map((s) => s.spanId)).toEqual(['a1b2c3d4e5f60718', 'b1b2c3d4e5f60718']);
    expect(batch.spansCalls).toBe(2);
  });

  it('makes no Span object when every consumer reads columns', () => {
    const fanOut = new SpanFanOut(silent, 60_000);
    let seen = 0;
    fanOut.add({
      name: 'columns',
      consume: () => {},
      consumeBatch: (b) => {
        seen += b.length;
      },
    });
    const batch = countingBatch();
    fanOut.consumeBatch(batch, 'complete');
    expect(seen).toBe(2);
    expect(batch.spansCalls).toBe(0);
  });

  it('isolates a consumer whose batch reading throws, and counts it', () => {
    const fanOut = new SpanFanOut(silent, 60_000);
    const after = recorder('after');
    fanOut.add({
      name: 'broken',
      consume: () => {},
      consumeBatch() {
        throw new Error('bad column');
      },
    });
    fanOut.add(after);
    expect(() => fanOut.consumeBatch(countingBatch(), 'timeout')).not.toThrow();
    expect(after.seen).toEqual([[2, 'timeout']]);
    expect(fanOut.stats()).toEqual({ sinkErrors: 1, consumerErrors: { broken: 1, after: 0 } });
  });
});

describe('ComponentRegistry', () => {
  it('builds health and stats from the registered components, deactivated plug-ins included', async () => {
    const registry = new ComponentRegistry();
    registry.add({ name: 'udp', statsKey: 'udp', health: () => simpleHealth('socket', 'OK'), stats: () => ({ n: 1 }) });
    registry.add({ statsKey: 'clients', stats: () => ({ trackedClients: 0 }) });
    registry.addDeactivated('influx');
    registry.add({ name: 'slow', health: () => new Promise(() => {}) as never });
    registry.add({
      name: 'failing',
      health: async () => {
        throw new Error('no route to host');
      },
    });
    registry.add({ name: 'influx', health: () => simpleHealth('write', 'Degraded', 'retrying') });
    const health = await registry.health();
    expect(Object.fromEntries(Object.entries(health).map(([k, v]) => [k, v.status]))).toEqual({
      udp: 'OK',
      influx: 'Degraded',
      slow: 'KO',
      failing: 'KO',
    });
    expect(health.failing?.tests[0]?.error).toBe('no route to host');
    expect(health.slow?.tests[0]?.error).toMatch(/longer than/);
    const stats = registry.stats();
    expect(stats).toMatchObject({ udp: { n: 1 }, clients: { trackedClients: 0 } });
    expect(typeof stats.uptimeSeconds).toBe('number');
  }, 10_000);

  it('closes components last registered first, and a component whose stats throw shows empty counters', async () => {
    const registry = new ComponentRegistry();
    const closed: string[] = [];
    registry.add({ name: 'store', close: () => void closed.push('store') });
    registry.add({
      name: 'exporter',
      statsKey: 'exporter',
      stats: () => {
        throw new Error('bug');
      },
      close: () => void closed.push('exporter'),
    });
    expect(registry.stats()).toMatchObject({ exporter: {} });
    await registry.close();
    expect(closed).toEqual(['exporter', 'store']);
  });
});

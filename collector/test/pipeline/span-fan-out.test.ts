import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { EmitReason } from '../../src/assembly/span-sink.js';
import type { Span } from '../../src/model/span.js';
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

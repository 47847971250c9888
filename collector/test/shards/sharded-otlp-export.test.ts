import { afterEach, describe, expect, it } from 'vitest';
import type { Collector } from '../../src/app.js';
import type { ShardedCollector } from '../../src/shards/sharded-collector.js';
import { testCollector } from '../support/collector.js';
import { until } from '../support/until.js';
import { startSharded, traceHops, twoTracerDatagrams } from './support.js';

/*
 * `otlpExport` with shards > 1: every shard exports the spans it assembles to the configured OTLP
 * receiver (here a second, single-core collector over OTLP/HTTP); the sharded collector shows the
 * shards' exporter counters summed in /api/stats and /metrics and their health under `otlpExport`.
 */
const SHARDS = 2;
const TRACES = 12;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function storedSpans(c: Collector, traceIds: string[]): Promise<number> {
  let n = 0;
  for (const id of traceIds) n += ((await c.store.getTrace(id)) ?? []).length;
  return n;
}

describe('sharded collector with the OTLP exporter', () => {
  it('exports every shard’s spans, and sums the shards’ exporter counters in stats, metrics and health', async () => {
    const receiver = await testCollector({ assembly: { spanTimeoutMillis: 200 }, otlp: { parentWaitMillis: 500 } });
    const ports = await receiver.start();
    closers.push(() => receiver.close());
    const sharded: ShardedCollector = await startSharded(SHARDS, {
      assembly: { spanTimeoutMillis: 200 },
      otlpExport: {
        enabled: true,
        endpoint: `http://127.0.0.1:${ports.otlpHttpPort}/v1/traces`,
        flushIntervalMillis: 50,
      },
    });
    closers.push(() => sharded.close());

    const hops = traceHops(TRACES);
    const traceIds = [...new Set(hops.map((h) => h.traceId))];
    // The traces are spread over both shards, so both export.
    expect(new Set(traceIds.map((id) => sharded.shards.owners.ofTraceId(id))).size).toBe(SHARDS);
    for (const d of twoTracerDatagrams(hops)) sharded.ingest(d);
    sharded.flush();

    // Each hop crosses OTLP as a CLIENT and a SERVER span (the entry hop as one SERVER span) and
    // joins again into one hop at the receiver.
    await until(async () => (await storedSpans(receiver, traceIds)) === hops.length, 15_000);
    const stats = await sharded.stats();
    const exported = stats.otlpExport as { exportedSpans: number; droppedSpans: Record<string, number> };
    expect(exported.exportedSpans).toBe(hops.length);
    expect(Object.values(exported.droppedSpans).every((n) => n === 0)).toBe(true);
    const perShard = (stats.shards as { list: { shard: number }[] }).list;
    expect(perShard).toHaveLength(SHARDS);

    const health = await sharded.health();
    expect(health.otlpExport?.status).toBe('OK');
    expect(health.otlpExport?.tests.map((t) => t.name).sort()).toEqual(['shard-0:export', 'shard-1:export']);
    const metrics = await sharded.registry.metrics();
    expect(metrics).toMatch(new RegExp(`phosphor_collector_otlp_export_spans_total ${hops.length}\\b`));
  });

  it('reports the exporter as Deactivated when otlpExport is off', async () => {
    const sharded = await startSharded(SHARDS);
    closers.push(() => sharded.close());
    expect((await sharded.health()).otlpExport).toEqual({ status: 'Deactivated', tests: [] });
    expect((await sharded.stats()).otlpExport).toBeUndefined();
  });
});

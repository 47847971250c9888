import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShardedCollector } from '../../src/shards/sharded-collector.js';
import { until } from '../support/until.js';
import { startSharded, traceHops, twoTracerDatagrams } from './support.js';

/*
 * The hand-off from the receiving thread to the shards' rings: every routed frame is ingested once,
 * without an explicit flush (the hand-off timer), counted in the host's shared-memory progress
 * counter, and a shard is woken at most once per hand-off.
 */
let collector: ShardedCollector;

beforeAll(async () => {
  collector = await startSharded(2);
});

afterAll(async () => {
  await collector?.close();
});

describe('shard hand-off through the rings', () => {
  it('ingests every routed frame once, handed on by the timer, and counts progress without calling the shards', async () => {
    const hops = traceHops(40);
    const datagrams = twoTracerDatagrams(hops, 7);
    for (const d of datagrams) collector.ingest(d);
    const routed = collector.receiver.stats().routedEvents;
    expect(routed).toBe(hops.reduce((n, h) => n + Object.keys(h.times).length, 0));
    // No flush(): the hand-off timer delivers.
    await until(() => collector.shards.processedEvents() === routed);
    const host = collector.shards.stats();
    expect(host.processedEvents).toBe(routed);
    expect(host.forwardedBuffers).toBeGreaterThanOrEqual(1);
    expect(host.shardWakeUps).toBeLessThanOrEqual(host.forwardedBuffers);
    expect(host.droppedEventsShardBusy + host.droppedEventsShardDown).toBe(0);
    const stats = await collector.stats();
    expect((stats.udp as { acceptedEvents: number }).acceptedEvents).toBe(routed);
  });

  it('answers a call only after the events handed over before it are ingested', async () => {
    const before = (await collector.stats()).udp as { acceptedEvents: number };
    const hops = traceHops(5, 99);
    for (const d of twoTracerDatagrams(hops, 4, 5)) collector.ingest(d);
    collector.flush();
    // The stats call reaches each shard after its ring records: no wait needed.
    const after = (await collector.stats()).udp as { acceptedEvents: number };
    expect(after.acceptedEvents - before.acceptedEvents).toBe(
      hops.reduce((n, h) => n + Object.keys(h.times).length, 0),
    );
  });
});

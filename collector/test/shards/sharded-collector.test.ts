import { createSocket } from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import type { TraceEvent } from '@phosphor/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBatch } from '../../../wire/test/support/reference-encoder.js';
import type { Collector } from '../../src/app.js';
import type { Span } from '../../src/model/span.js';
import type { ShardedCollector } from '../../src/shards/sharded-collector.js';
import { testCollector } from '../support/collector.js';
import { batchOf, hopEvents } from '../support/hops.js';
import { writeDatagrams } from '../support/template-datagrams.js';
import { until } from '../support/until.js';
import { startSharded, T0, traceHops, twoTracerDatagrams } from './support.js';

const open: (Collector | ShardedCollector)[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

async function sharded(shards: number, extra: Record<string, unknown> = {}): Promise<ShardedCollector> {
  const c = await startSharded(shards, extra);
  open.push(c);
  return c;
}

async function single(extra: Record<string, unknown> = {}): Promise<Collector> {
  const c = await testCollector({ shards: 1, ...extra });
  open.push(c);
  return c;
}

interface StatsShape {
  udp: Record<string, number> & { droppedDatagrams: Record<string, number> };
  assembly: Record<string, number>;
  shards: {
    list: { shard: number; up: boolean; ingest?: { acceptedEvents: number } }[];
    droppedEventsShardDown: number;
  };
  clients: { lostDatagrams: number; trackedClients: number };
}

const statsOf = async (c: ShardedCollector) => (await c.stats()) as unknown as StatsShape;

async function json<T>(c: Collector | ShardedCollector, url: string): Promise<T> {
  const res = await c.http.inject({ url });
  expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
  return res.json() as T;
}

/** Sends datagrams over UDP from two sockets (two tracers, as two processes would). */
async function sendFromTwoTracers(port: number, datagrams: Buffer[]): Promise<void> {
  const sockets = [createSocket('udp4'), createSocket('udp4')];
  try {
    for (const [i, d] of datagrams.entries()) {
      const socket = sockets[i % 2] as ReturnType<typeof createSocket>;
      await new Promise<void>((resolve, reject) =>
        socket.send(d, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
      );
      // A short pause now and then keeps the burst within the receive buffer on a busy machine.
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    for (const s of sockets) s.close();
  }
}

const TRACES = 150;
const HOPS = traceHops(TRACES);
const EVENTS = HOPS.reduce((n, h) => n + Object.keys(h.times).length, 0);
/** Hops with both sides: the entry hop of each trace has only IN/OUT and waits for its timeout. */
const TWO_SIDED = HOPS.filter((h) => h.times.REQ !== undefined).length;

describe.each([
  [2, 0.3],
  [3, 0.3],
  [2, 0],
])('%i shards, receiverShardShare %s', (shardCount, receiverShardShare) => {
  it('shuffled hops from two tracers land whole: every hop complete, every trace in one piece', async () => {
    const c = await sharded(shardCount, { receiverShardShare });
    // Shard 0 runs on the receiving thread unless the share is 0.
    expect(c.shards.isLocal(0)).toBe(receiverShardShare > 0);
    expect(c.shards.isLocal(shardCount - 1)).toBe(false);
    await sendFromTwoTracers(c.addresses?.udpPort as number, twoTracerDatagrams(HOPS));
    await until(async () => (await statsOf(c)).assembly.receivedEvents === EVENTS);
    const stats = await statsOf(c);
    // Both sides of every two-sided hop met in one shard: complete at once, nothing partial.
    expect(stats.assembly.completeSpans).toBe(TWO_SIDED);
    expect(stats.assembly.partialSpans).toBe(0);
    expect(stats.assembly.pendingSpans).toBe(TRACES);
    expect(stats.udp.acceptedEvents).toBe(EVENTS);
    expect(stats.clients).toMatchObject({ trackedClients: 2, lostDatagrams: 0 });
    // Every shard took a share of the traffic.
    for (const shard of stats.shards.list) expect(shard.ingest?.acceptedEvents).toBeGreaterThan(0);
    // /metrics reads the counters fetched from the shards (just now, by stats()).
    const metrics = (await c.http.inject({ url: '/metrics' })).body;
    expect(metrics).toContain(`phosphor_collector_events_total ${EVENTS}`);
    expect(metrics).toContain(`phosphor_collector_live_shards ${shardCount}`);
    expect(metrics).toContain('phosphor_collector_shard_dropped_events_total{reason="busy"} 0');
    for (const traceId of [...new Set(HOPS.map((h) => h.traceId))].slice(0, 40)) {
      const trace = await json<{ spans: Span[]; pendingSpanIds: string[] }>(c, `/api/traces/${traceId}`);
      expect(trace.spans).toHaveLength(3);
      const twoSided = trace.spans.filter((s) => s.parentSpanId !== undefined);
      expect(twoSided.map((s) => s.missing)).toEqual([[], []]);
      // The entry span waits for its timeout: shown from the owner's pending hops.
      expect(trace.pendingSpanIds).toHaveLength(1);
    }
  });
});

/** Niceness of this process's threads named `name` (Linux /proc; the thread's comm is its worker name). */
function threadNiceness(name: string): number[] {
  const out: number[] = [];
  for (const tid of readdirSync('/proc/self/task')) {
    const comm = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
    if (comm !== name) continue;
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    out.push(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
  }
  return out;
}

describe.runIf(process.platform === 'linux')('worker thread priority', () => {
  it('runs the worker shards at shardWorkerNiceness and leaves the receiving thread as it was', async () => {
    const before = threadNiceness('MainThread');
    const c = await sharded(3, { receiverShardShare: 0.2, shardWorkerNiceness: 7 });
    expect(c.shards.isLocal(0)).toBe(true);
    expect(threadNiceness('shard-1')).toEqual([7]);
    expect(threadNiceness('shard-2')).toEqual([7]);
    expect(threadNiceness('MainThread')).toEqual(before);
  });

  it('leaves the worker shards at the process priority with shardWorkerNiceness 0', async () => {
    const [main] = threadNiceness('MainThread');
    await sharded(2, { receiverShardShare: 0, shardWorkerNiceness: 0 });
    expect(threadNiceness('shard-0')).toEqual([main]);
    expect(threadNiceness('shard-1')).toEqual([main]);
  });
});

describe('merged views', () => {
  it('aggregates, dependencies, services and search equal a one-shard run on the same stream', async () => {
    const datagrams = twoTracerDatagrams(HOPS);
    const one = await single();
    const two = await sharded(2);
    for (const d of datagrams) {
      one.ingest(d);
      two.ingest(d);
    }
    two.flush();
    await until(async () => (await statsOf(two)).assembly.receivedEvents === EVENTS);
    const withoutRate = <T extends { ratePerSecond: number }>(rows: T[]) =>
      rows
        .map(({ ratePerSecond: _, ...rest }) => rest)
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    for (const window of ['1m', '5m', '15m']) {
      type Snap = {
        endpoints: { ratePerSecond: number }[];
        edges: { ratePerSecond: number }[];
        hosts: { ratePerSecond: number }[];
      };
      const a = await json<Snap>(one, `/api/aggregates?window=${window}`);
      const b = await json<Snap>(two, `/api/aggregates?window=${window}`);
      expect(a.edges.length).toBeGreaterThan(0);
      expect(withoutRate(b.endpoints)).toEqual(withoutRate(a.endpoints));
      expect(withoutRate(b.edges)).toEqual(withoutRate(a.edges));
      expect(withoutRate(b.hosts)).toEqual(withoutRate(a.hosts));
    }
    expect(await json(two, '/api/dependencies')).toEqual(await json(one, '/api/dependencies'));
    expect(await json(two, '/api/services')).toEqual(await json(one, '/api/services'));
    // All traces: identical lists, newest first. A limit keeps the newest of the whole set.
    const all = await json<{ traces: { traceId: string }[] }>(one, '/api/traces?limit=1000');
    expect(all.traces).toHaveLength(TRACES);
    expect(await json(two, '/api/traces?limit=1000')).toEqual(all);
    // A limit: each shard answers its newest `limit` (by arrival, as one core does) and the
    // merge keeps the `limit` latest-starting of those, newest first.
    const top = await json<{ traces: { traceId: string; startMicros: number }[] }>(two, '/api/traces?limit=7');
    expect(top.traces).toHaveLength(7);
    expect(top.traces.map((t) => t.startMicros)).toEqual(top.traces.map((t) => t.startMicros).sort((x, y) => y - x));
    for (const t of top.traces) expect(all.traces).toContainEqual(t);
    const errors = await json(two, '/api/traces?limit=1000&error=true&service=quote');
    expect(errors).toEqual(await json(one, '/api/traces?limit=1000&error=true&service=quote'));
  });

  it('datagrams with shared entries, as tracers write them, assemble in the shards as on one core', async () => {
    const datagrams = writeDatagrams(HOPS.flatMap(hopEvents), {
      templated: true,
      reuseTemplates: true,
      maxDatagramBytes: 16_384,
    });
    const one = await single();
    const two = await sharded(2, { receiverShardShare: 0 });
    for (const d of datagrams) {
      one.ingest(d);
      two.ingest(d);
    }
    two.flush();
    await until(async () => (await statsOf(two)).assembly.receivedEvents === EVENTS);
    const stats = await statsOf(two);
    expect(stats.udp.acceptedEvents).toBe(EVENTS);
    expect(stats.assembly.completeSpans).toBe(TWO_SIDED);
    expect(stats.assembly.partialSpans).toBe(0);
    expect(await json(two, '/api/traces?limit=1000')).toEqual(await json(one, '/api/traces?limit=1000'));
  });

  it('the live tail streams spans from every shard', async () => {
    const c = await sharded(2);
    const url = `${c.addresses?.httpUrl}/api/tail`;
    const controller = new AbortController();
    const res = await fetch(url, { signal: controller.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    // The subscription reaches the shards asynchronously: send once they have been told.
    await new Promise((r) => setTimeout(r, 100));
    for (const d of twoTracerDatagrams(HOPS.slice(0, 60))) c.ingest(d);
    c.flush();
    let text = '';
    const decoder = new TextDecoder();
    const spanIds = new Set<string>();
    await until(async () => {
      const { value } = await reader.read();
      text += decoder.decode(value);
      for (const m of text.matchAll(/"spanId":"([^"]+)"/g)) spanIds.add(m[1] as string);
      return spanIds.size >= 40;
    });
    controller.abort();
    expect(spanIds.size).toBe(40);
  });
});

describe('faults', () => {
  it('a shard worker crash is reported in health and stats, does not crash the daemon, and the shard restarts', async () => {
    const c = await sharded(2);
    await c.shards.killShard(1);
    await until(async () => (await json<Record<string, string>>(c, '/health')).shards === 'KO');
    const tests = await json<{ name: string; status: string; error?: string }[]>(c, '/health/shards');
    expect(tests.map((t) => [t.name, t.status])).toEqual([
      ['shard-0', 'OK'],
      ['shard-1', 'KO'],
    ]);
    expect(tests[1]?.error).toContain('down after 1 crash');
    const stats = await statsOf(c);
    expect(stats.shards.list.map((s) => s.up)).toEqual([true, false]);
    expect(stats).toMatchObject({ shards: { shardCrashes: 1, liveShards: 1 } });
    // Ingest goes on: shard 0's events are assembled, shard 1's are dropped and counted.
    for (const d of twoTracerDatagrams(HOPS)) c.ingest(d);
    c.flush();
    const down = await statsOf(c);
    expect(down.udp.acceptedDatagrams).toBeGreaterThan(0);
    expect(down.shards.droppedEventsShardDown).toBeGreaterThan(0);
    expect(down.shards.droppedEventsShardDown + (down.shards.list[0]?.ingest?.acceptedEvents ?? 0)).toBe(EVENTS);
    // A trace owned by the downed shard: 503 naming the shard, not a crash.
    const search = await c.http.inject({ url: '/api/traces' });
    expect(search.statusCode).toBe(503);
    expect(search.json().message).toContain('shard 1');
    // Restarted after the delay: Degraded (its memory was lost) and taking events again.
    await until(async () => (await json<Record<string, string>>(c, '/health')).shards === 'Degraded', 5000);
    const [hop] = HOPS.filter((h) => h.times.REQ !== undefined);
    c.ingest(encodeBatch(batchOf(hopEvents({ ...(hop as (typeof HOPS)[number]), traceId: 'after-restart' }))));
    c.flush();
    const trace = await json<{ spans: Span[] }>(c, '/api/traces/after-restart');
    expect(trace.spans).toHaveLength(1);
  });

  it('the shard on the receiving thread cannot be ended on its own; it closes with the collector', async () => {
    const c = await sharded(2, { receiverShardShare: 0.3 });
    await expect(c.shards.killShard(0)).rejects.toThrow('receiving thread');
    expect(c.shards.health().status).toBe('OK');
    await c.close();
    await expect(c.shards.call(0, 'stats')).rejects.toThrow('shard 0 is down');
  });

  it('bad datagrams and invalid events are counted once per reason, as by one core', async () => {
    const key = 'a-shared-key-of-some-length';
    const good = (events: TraceEvent[], sequence: number) => encodeBatch(batchOf(events, sequence), Buffer.from(key));
    const hop = hopEvents({ traceId: '77', spanId: 'ab', times: { REQ: T0, IN: T0 + 5, OUT: T0 + 9, REP: T0 + 12 } });
    const invalid = [
      { ...(hop[0] as TraceEvent), traceId: '' },
      { ...(hop[1] as TraceEvent), timestampMicros: -1 },
    ];
    const truncated = good(hop, 9).subarray(0, 60);
    const datagrams = [
      good(hop, 0),
      good([...hop, ...invalid], 1),
      Buffer.from([0x50]),
      Buffer.from('GET / HTTP/1.1\r\n'),
      Buffer.from([0x50, 0x48, 0x02, 0x00, 0x0a]),
      encodeBatch(batchOf(hop, 2)),
      Buffer.concat([good(hop, 3).subarray(0, 20), Buffer.from(good(hop, 3).subarray(20)).fill(1, 0, 4)]),
      Buffer.concat([truncated.subarray(0, 20), Buffer.from([0x32, 0x7f, 0x08])]),
      Buffer.alloc(3000, 0x50),
      good(hop, 5),
    ];
    // Re-sign the malformed payload so it reaches the protobuf walk (and is malformed there, not bad_hmac).
    const { createHmac } = await import('node:crypto');
    const malformed = datagrams[7] as Buffer;
    createHmac('sha256', key)
      .update(malformed.subarray(0, 4))
      .update(malformed.subarray(20))
      .digest()
      .copy(malformed, 4, 0, 16);
    const values = { udp: { port: 0, hmacKey: key, maxDatagramBytes: 2048 } };
    const one = await single(values);
    const two = await sharded(2, values);
    for (const d of datagrams) {
      one.ingest(d);
      two.ingest(d);
    }
    two.flush();
    const expected = one.receiver.stats();
    expect(expected.droppedDatagrams).toEqual({
      oversized: 1,
      too_short: 1,
      bad_magic: 1,
      wrong_version: 1,
      missing_hmac: 1,
      bad_hmac: 1,
      malformed: 1,
    });
    expect(expected.invalidEvents).toBe(2);
    await until(async () => (await statsOf(two)).udp.acceptedEvents === expected.acceptedEvents);
    const got = (await statsOf(two)).udp;
    for (const field of [
      'receivedDatagrams',
      'acceptedDatagrams',
      'rejectedDatagrams',
      'acceptedEvents',
      'invalidEvents',
    ]) {
      expect(got[field], field).toBe(expected[field as keyof typeof expected]);
    }
    expect(got.droppedDatagrams).toEqual(expected.droppedDatagrams);
    expect((await statsOf(two)).clients.lostDatagrams).toBe(one.receiver.clients.totals().lostDatagrams);
  });
});

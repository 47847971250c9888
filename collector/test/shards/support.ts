import type { Batch, TraceEvent } from '@phosphor/wire';
import { encodeBatch } from '../../../wire/test/support/reference-encoder.js';
import { loadConfig } from '../../src/config/load-config.js';
import { buildShardedCollector, type ShardedCollector } from '../../src/shards/sharded-collector.js';
import { type HopSpec, hopEvents, prng, shuffle } from '../support/hops.js';

export const T0 = 1_700_000_000_000_000;

/** Config values for a collector on free ports with a silent logger. */
export function testValues(shards: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    shards,
    udp: { port: 0 },
    http: { port: 0 },
    logging: { level: 'silent' },
    dashboard: { distDir: '/nonexistent-dashboard' },
    ...extra,
  };
}

/** A started sharded collector. */
export async function startSharded(shards: number, extra: Record<string, unknown> = {}): Promise<ShardedCollector> {
  const collector = await buildShardedCollector(loadConfig({ values: testValues(shards, extra) }));
  await collector.start();
  return collector;
}

/**
 * `traces` traces of three hops each (gateway → quote → ids, plus the entry hop), with varied
 * latencies, some errors and tags; each hop's REQ/REP are recorded by the caller's tracer and
 * IN/OUT by the callee's.
 */
export function traceHops(traces: number, seed = 7): HopSpec[] {
  const random = prng(seed);
  const hops: HopSpec[] = [];
  for (let t = 0; t < traces; t++) {
    const traceId = String(397_237_206_544_449_536n + BigInt(t * 7919));
    const start = T0 + t * 10_000;
    const latency = () => 100 + Math.floor(random() * 5000);
    const l1 = latency();
    const l2 = latency();
    hops.push({
      traceId,
      spanId: `e${t.toString(16).padStart(15, '0')}`,
      from: '',
      fromEndpoint: '',
      to: 'gateway',
      toEndpoint: 'GET /quote',
      serverHost: `gw-${t % 2}`,
      times: { IN: start, OUT: start + l1 + l2 + 400 },
    });
    hops.push({
      traceId,
      spanId: `q${t.toString(16).padStart(15, '0')}`,
      parentSpanId: `e${t.toString(16).padStart(15, '0')}`,
      from: 'gateway',
      fromEndpoint: 'GET /quote',
      to: 'quote',
      toEndpoint: 'Quote',
      clientHost: `gw-${t % 2}`,
      serverHost: `quote-${t % 3}`,
      times: { REQ: start + 50, IN: start + 80, OUT: start + 80 + l1 + l2, REP: start + 120 + l1 + l2 },
      ...(t % 9 === 0 ? { errorCode: 'UNAVAILABLE' } : {}),
    });
    hops.push({
      traceId,
      spanId: `i${t.toString(16).padStart(15, '0')}`,
      parentSpanId: `q${t.toString(16).padStart(15, '0')}`,
      from: 'quote',
      fromEndpoint: 'Quote',
      to: 'id-generator',
      toEndpoint: 'NextID',
      clientHost: `quote-${t % 3}`,
      serverHost: 'ids-1',
      times: { REQ: start + 100, IN: start + 130, OUT: start + 130 + l1, REP: start + 160 + l1 },
      tags: { correlation_id: traceId },
    });
  }
  return hops;
}

/**
 * The hops' events split over two tracers — the callers' (REQ/REP) and the callees' (IN/OUT) —
 * shuffled, and packed into datagrams of `perDatagram` events with per-tracer sequence numbers.
 */
export function twoTracerDatagrams(hops: HopSpec[], perDatagram = 25, seed = 11): Buffer[] {
  const random = prng(seed);
  const events = shuffle(hops.flatMap(hopEvents), random);
  const client = events.filter((e) => e.type === 'REQ' || e.type === 'REP');
  const server = events.filter((e) => e.type === 'IN' || e.type === 'OUT');
  const pack = (list: TraceEvent[], tracerId: string, service: string): Buffer[] => {
    const out: Buffer[] = [];
    for (let i = 0; i < list.length; i += perDatagram) {
      const batch: Batch = {
        tracerId,
        sequence: out.length,
        service,
        hostname: `${service}-host`,
        sentAtMicros: T0,
        drops: { bufferFull: 0, tooLarge: 0, sendError: 0, sampledOut: 0 },
        events: list.slice(i, i + perDatagram),
      };
      out.push(encodeBatch(batch));
    }
    return out;
  };
  const c = pack(client, 'client-tracer', 'callers');
  const s = pack(server, 'server-tracer', 'callees');
  const out: Buffer[] = [];
  for (let i = 0; i < Math.max(c.length, s.length); i++) {
    if (s[i]) out.push(s[i] as Buffer);
    if (c[i]) out.push(c[i] as Buffer);
  }
  return out;
}

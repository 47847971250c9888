import { createSocket } from 'node:dgram';
import type { TraceEvent } from '@phosphor/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poll } from '../../test/support/helpers.js';
import { encodeBatch } from '../../wire/test/support/reference-encoder.js';
import type { Collector } from '../src/app.js';
import type { Span } from '../src/model/span.js';
import { testCollector } from './support/collector.js';
import { batchOf, hopEvents, prng, shuffle } from './support/hops.js';

const T0 = 1_700_000_000_000_000;
const SEED = 20_240_601;
/** Hostile datagrams of each kind: random bytes, and mutations of valid datagrams. */
const RANDOM_DATAGRAMS = 15_000;
const MUTATED_DATAGRAMS = 15_000;
const VALID_TRACES = 300;
/** Datagrams sent before waiting for the collector to catch up, so the kernel buffer never overflows. */
const SEND_CHUNK = 250;

let collector: Collector;
const sender = createSocket('udp4');

beforeAll(async () => {
  collector = await testCollector({ assembly: { spanTimeoutMillis: 60_000 } });
  await collector.start();
});

afterAll(async () => {
  await collector.close();
  sender.close();
});

/** A valid 2-hop trace: root on front (IN/OUT) and front → ids (all four events). */
function validTrace(i: number): TraceEvent[] {
  const traceId = String(9_000_000_000 + i);
  const start = T0 + i * 10_000;
  return [
    ...hopEvents({
      traceId,
      spanId: `r${i}`,
      from: '',
      fromEndpoint: '',
      to: 'front',
      toEndpoint: 'GET /',
      times: { IN: start, OUT: start + 900 },
    }),
    ...hopEvents({
      traceId,
      spanId: `c${i}`,
      parentSpanId: `r${i}`,
      from: 'front',
      fromEndpoint: 'GET /',
      to: 'ids',
      toEndpoint: 'NextID',
      times: { REQ: start + 100, IN: start + 200, OUT: start + 600, REP: start + 700 },
    }),
  ];
}

function noiseDatagram(random: () => number, n: number): Buffer {
  const events = hopEvents({
    traceId: `noise${n}`,
    spanId: `n${n}`,
    to: `svc${n % 50}`,
    times: { REQ: T0 + n, IN: T0 + n + 1, OUT: T0 + n + 2, REP: T0 + n + 3 },
  });
  return encodeBatch(batchOf(events.slice(0, 1 + Math.floor(random() * 4)), n, 'noise-tracer'));
}

function mutate(random: () => number, datagram: Buffer): Buffer {
  const out = Buffer.from(datagram);
  const kind = Math.floor(random() * 4);
  if (kind === 0) {
    // Flip a few random bytes (header included, so magic/version/flags get hit too).
    for (let i = 0; i < 1 + Math.floor(random() * 4); i++)
      out[Math.floor(random() * out.length)] = Math.floor(random() * 256);
    return out;
  }
  if (kind === 1) return out.subarray(0, Math.floor(random() * out.length));
  if (kind === 2) {
    // Corrupt the protobuf body only, keeping the header valid so the decoder is exercised.
    for (let i = 0; i < 3; i++) out[4 + Math.floor(random() * (out.length - 4))] = Math.floor(random() * 256);
    return out;
  }
  return Buffer.concat([
    out,
    Buffer.from(Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256))),
  ]);
}

function randomDatagram(random: () => number): Buffer {
  const length = Math.floor(random() * 1500);
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256);
  // Half of them start with the right magic and version, to get past the cheap checks.
  if (random() < 0.5 && length >= 4) {
    out[0] = 0x50;
    out[1] = 0x48;
    out[2] = 1;
    out[3] = 0;
  }
  return out;
}

async function waitForReceived(n: number): Promise<void> {
  await poll(async () => (collector.receiver.stats().receivedDatagrams >= n ? true : undefined), {
    timeoutMillis: 10_000,
    what: `the collector to receive ${n} datagrams`,
    intervalMillis: 2,
  });
}

describe('fuzz: hostile datagrams while valid traffic flows', () => {
  it('never crashes, counts every datagram exactly, and keeps valid traces intact', async () => {
    const random = prng(SEED);
    const port = collector.addresses!.udpPort;
    const valid: Buffer[] = [];
    for (let i = 0; i < VALID_TRACES; i++) {
      // Split each trace's events over two datagrams with distinct sequence numbers.
      const events = shuffle(validTrace(i), random);
      valid.push(encodeBatch(batchOf(events.slice(0, 3), 2 * i, 'valid-tracer')));
      valid.push(encodeBatch(batchOf(events.slice(3), 2 * i + 1, 'valid-tracer')));
    }
    const hostile: Buffer[] = [];
    for (let i = 0; i < RANDOM_DATAGRAMS; i++) hostile.push(randomDatagram(random));
    for (let i = 0; i < MUTATED_DATAGRAMS; i++) hostile.push(mutate(random, noiseDatagram(random, i)));
    // Interleave: valid traffic spread evenly through the hostile stream.
    const stream: Buffer[] = [];
    const every = Math.floor(hostile.length / valid.length);
    let v = 0;
    for (let i = 0; i < hostile.length; i++) {
      stream.push(hostile[i]!);
      if (i % every === 0 && v < valid.length) stream.push(valid[v++]!);
    }
    while (v < valid.length) stream.push(valid[v++]!);

    for (let i = 0; i < stream.length; i += SEND_CHUNK) {
      for (const d of stream.slice(i, i + SEND_CHUNK)) sender.send(d, port, '127.0.0.1');
      await waitForReceived(Math.min(i + SEND_CHUNK, stream.length));
    }

    const udp = collector.receiver.stats();
    expect(udp.receivedDatagrams).toBe(stream.length);
    expect(udp.acceptedDatagrams + udp.rejectedDatagrams).toBe(stream.length);
    const byReason = Object.values(udp.droppedDatagrams).reduce((a, b) => a + b, 0);
    expect(byReason).toBe(udp.rejectedDatagrams);
    expect(udp.handlerErrors).toBe(0);
    expect(udp.acceptedDatagrams).toBeGreaterThanOrEqual(valid.length);
    // Every valid trace: both spans present and exactly as sent.
    for (let i = 0; i < VALID_TRACES; i++) {
      const spans = collector.assembler.pendingSpansOf(String(9_000_000_000 + i));
      const stored = (await collector.store.getTrace(String(9_000_000_000 + i))) ?? [];
      const all = new Map<string, Span>([...stored, ...spans].map((s) => [s.spanId, s]));
      const start = T0 + i * 10_000;
      expect(all.get(`c${i}`)?.rawEvents).toEqual({
        REQ: start + 100,
        IN: start + 200,
        OUT: start + 600,
        REP: start + 700,
      });
      expect(all.get(`r${i}`)?.rawEvents).toEqual({ IN: start, OUT: start + 900 });
    }
    const validClient = collector.receiver.clients.clientsLoss().find((c) => c.tracerId === 'valid-tracer');
    expect(validClient).toMatchObject({ receivedDatagrams: valid.length, lostDatagrams: 0 });
    // Still serving.
    const health = await collector.http.inject('/health');
    expect(health.json()).toMatchObject({ udp: 'OK' });
    const trace = await collector.http.inject('/api/traces/9000000000');
    expect(trace.statusCode).toBe(200);
  });
});

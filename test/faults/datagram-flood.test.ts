/**
 * Fault scenario 4: a flood of malformed and random datagrams alongside real demo traffic into
 * one collector that requires an HMAC. Every hostile datagram is built so its rejection reason is known
 * by construction (never by asking the decoder), so the collector's counters must match exactly, and
 * every real request's trace must still be complete. See docs/faults.md.
 */
import { createHmac } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { buildCollector, type Collector, loadConfig, type Span } from '@phosphor/collector';
import type { RunningDemo } from '@phosphor/demo-services';
import type { TraceEvent } from '@phosphor/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBatch } from '../../wire/test/support/reference-encoder.js';
import { prng } from '../support/helpers.js';
import { demoTracers, SYMBOLS, startQuietDemo } from './support/demo.js';
import { phaseMillis, testTimeoutMillis } from './support/durations.js';
import { LoadClient } from './support/load-client.js';
import { sleep, waitFor } from './support/wait.js';

/** The shared key of the collector and the demo tracers (the collector requires ≥ 16 characters). */
const HMAC_KEY = 'fault-suite-shared-datagram-key';
/**
 * Lowered from the 65,507 default so an "oversized" datagram can actually be sent over loopback, and kept
 * above the tracers' 8 KiB loopback datagrams (a limit below them rejects real traffic as oversized).
 */
const MAX_DATAGRAM_BYTES = 16_384;
/** How long the flood (and the real traffic beside it) lasts in the short version. */
const FLOOD_MILLIS = phaseMillis(12_000);
/** Hostile datagrams per burst, and the pause between bursts: ~5,000/s, well above the demo's own rate. */
const BURST = 100;
const BURST_PAUSE_MILLIS = 20;

type Kind = 'too_short' | 'bad_magic' | 'wrong_version' | 'missing_hmac' | 'bad_hmac' | 'malformed' | 'oversized';
const KINDS: readonly Kind[] = [
  'too_short',
  'bad_magic',
  'wrong_version',
  'missing_hmac',
  'bad_hmac',
  'malformed',
  'oversized',
];

/** `length` bytes from the seeded PRNG. */
function randomBytes(length: number, random: () => number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256);
  return out;
}

/** Appends the 16-byte HMAC-SHA256/128 of header ‖ payload after the 4-byte header (flag bit 0 set). */
function sign(header: Buffer, payload: Buffer, key: string | Buffer): Buffer {
  const h = Buffer.from(header);
  h[3] = (h[3] ?? 0) | 1;
  const mac = createHmac('sha256', key).update(h).update(payload).digest().subarray(0, 16);
  return Buffer.concat([h, mac, payload]);
}

/** A syntactically valid unsigned datagram of a fake trace (ids never used by the demo). */
function fakeDatagram(n: number, random: () => number): Buffer {
  const events: TraceEvent[] = [];
  const count = 1 + Math.floor(random() * 4);
  for (let i = 0; i < count; i++) {
    events.push({
      type: (['REQ', 'IN', 'OUT', 'REP'] as const)[i]!,
      traceId: `flood${n}`,
      spanId: (0x1000_0000 + n).toString(16).padStart(16, '0'),
      from: 'flooder',
      fromEndpoint: 'GET /noise',
      to: 'victim',
      toEndpoint: 'POST /noise',
      timestampMicros: Date.now() * 1000 + i,
      hostname: 'flood-host',
    });
  }
  return encodeBatch({
    tracerId: 'flood-tracer',
    sequence: n,
    service: 'flooder',
    hostname: 'flood-host',
    sentAtMicros: Date.now() * 1000,
    drops: { bufferFull: 0, tooLarge: 0, sendError: 0, sampledOut: 0 },
    events,
  });
}

/** Builds one hostile datagram whose rejection reason is `kind` by construction. */
function hostile(kind: Kind, n: number, random: () => number): Buffer {
  const valid = fakeDatagram(n, random);
  const header = valid.subarray(0, 4);
  const payload = valid.subarray(4);
  switch (kind) {
    case 'too_short':
      // A valid datagram truncated inside its 4-byte header (0 bytes included).
      return valid.subarray(0, Math.floor(random() * 4));
    case 'bad_magic': {
      // Random bytes that do not start with "PH".
      const out = randomBytes(4 + Math.floor(random() * 1400), random);
      if (out[0] === 0x50) out[0] = 0x51;
      return out;
    }
    case 'wrong_version': {
      const out = sign(header, payload, HMAC_KEY);
      out[2] = random() < 0.5 ? 0 : 2 + Math.floor(random() * 254);
      return out;
    }
    case 'missing_hmac':
      // A valid datagram, or "PH" v1 without the HMAC flag followed by random bytes.
      return random() < 0.5 ? valid : Buffer.concat([Buffer.from([0x50, 0x48, 1, 0]), randomBytes(40, random)]);
    case 'bad_hmac': {
      const variant = Math.floor(random() * 3);
      if (variant === 0) return sign(header, payload, 'a-different-key-of-enough-length');
      const out = sign(header, payload, HMAC_KEY);
      // Flip one byte of the MAC, or one byte of the signed payload.
      const at = variant === 1 ? 4 + Math.floor(random() * 16) : 20 + Math.floor(random() * payload.length);
      out[at] = (out[at] ?? 0) ^ (1 + Math.floor(random() * 255));
      return out;
    }
    case 'malformed':
      // Correctly signed, but the payload is truncated by 1–5 bytes: the last field of a Batch is an event
      // (≥ 40 bytes), so its declared length runs past the end — the whole datagram is malformed.
      return sign(header, payload.subarray(0, payload.length - 1 - Math.floor(random() * 5)), HMAC_KEY);
    case 'oversized':
      return Buffer.concat([sign(header, payload, HMAC_KEY), Buffer.alloc(MAX_DATAGRAM_BYTES)]);
  }
}

interface TraceAnswer {
  spans: Span[];
  pendingSpanIds: string[];
}

describe('flood of malformed and random datagrams alongside real traffic', () => {
  let collector: Collector;
  let demo: RunningDemo | undefined;
  const sender = createSocket('udp4');

  beforeAll(async () => {
    collector = await buildCollector(
      loadConfig({
        values: {
          udp: { port: 0, hmacKey: HMAC_KEY, maxDatagramBytes: MAX_DATAGRAM_BYTES },
          http: { port: 0 },
          otlp: { http: { port: 0 }, grpc: { port: 0 } },
          assembly: { spanTimeoutMillis: 1_000 },
          logging: { level: 'silent' },
        },
      }),
    );
    await collector.start();
    demo = await startQuietDemo(collector.addresses!.udpPort, HMAC_KEY);
  });

  afterAll(async () => {
    await demo?.close();
    await collector?.close();
    sender.close();
  });

  it(
    'does not crash, counts every hostile datagram by reason exactly, and keeps every real trace complete',
    async () => {
      const running = demo!;
      const seed = Number(process.env.FAULT_FLOOD_SEED ?? Date.now() % 1_000_000);
      const random = prng(seed);
      const udpPort = collector.addresses!.udpPort;
      const client = new LoadClient({
        baseUrl: running.urls.gateway,
        concurrency: 2,
        timeoutMillis: 5_000,
        thinkMillis: 20,
        pathFor: (n) => (n % 5 === 4 ? '/basket?symbols=ACME,INIT,UMBR' : `/quote/${SYMBOLS[n % SYMBOLS.length]}`),
      });
      client.setPhase('flood');
      const sent: Record<Kind, number> = {
        too_short: 0,
        bad_magic: 0,
        wrong_version: 0,
        missing_hmac: 0,
        bad_hmac: 0,
        malformed: 0,
        oversized: 0,
      };
      let total = 0;
      client.start();
      const until = performance.now() + FLOOD_MILLIS;
      try {
        while (performance.now() < until) {
          for (let i = 0; i < BURST; i++) {
            const kind = KINDS[Math.floor(random() * KINDS.length)]!;
            await new Promise<void>((resolve, reject) =>
              sender.send(hostile(kind, total, random), udpPort, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
            );
            sent[kind]++;
            total++;
          }
          await sleep(BURST_PAUSE_MILLIS);
        }
      } finally {
        await client.stop();
      }

      // Let the tracers send what they hold and the collector read everything.
      const tracers = Object.values(demoTracers(running));
      await Promise.all(tracers.map((t) => t.flush()));
      const tracerDatagrams = () => tracers.reduce((sum, t) => sum + t.stats().sentDatagrams, 0);
      await waitFor(
        'the collector to receive every datagram sent',
        () => collector.receiver.stats().receivedDatagrams >= total + tracerDatagrams(),
        10_000,
        50,
      );
      const udp = collector.receiver.stats();
      console.info(
        `datagram-flood (seed ${seed}): hostile=${total} ${JSON.stringify(sent)}; real datagrams=${tracerDatagrams()}; ` +
          `requests=${client.countOf('flood')}; collector ${JSON.stringify(udp.droppedDatagrams)}`,
      );

      // Counters exact: each kind counted under its reason, every real datagram accepted, nothing else.
      expect(udp.droppedDatagrams).toEqual(sent);
      expect(udp.rejectedDatagrams).toBe(total);
      expect(udp.acceptedDatagrams).toBe(tracerDatagrams());
      expect(udp.receivedDatagrams).toBe(total + tracerDatagrams());
      expect(udp.invalidEvents).toBe(0);
      expect(udp.handlerErrors).toBe(0);
      for (const tracer of tracers) expect(tracer.stats().droppedEvents.sendError).toBe(0);
      const realSent = tracers.reduce((sum, t) => sum + t.stats().sentEvents, 0);
      expect(udp.acceptedEvents).toBe(realSent);

      // Real traffic was served and every trace is complete with the expected spans and events.
      expect(client.countOf('flood')).toBeGreaterThan(50);
      expect(client.unexpected.slice(0, 5), `${client.unexpectedCount} unexpected answers`).toEqual([]);
      await sleep(1_500); // root spans (IN/OUT only) are emitted after assembly.spanTimeoutMillis
      // Every request of a short run (a soak run checks the newest few thousand).
      for (const request of client.results) {
        const res = await collector.http.inject(`/api/traces/${request.correlationId}`);
        expect(res.statusCode, `trace of ${request.path}`).toBe(200);
        const trace = res.json<TraceAnswer>();
        const basket = request.path.startsWith('/basket');
        expect(trace.spans.length, `spans of ${request.path} (${request.correlationId})`).toBe(basket ? 10 : 4);
        expect(trace.pendingSpanIds).toEqual([]);
        for (const span of trace.spans) {
          const root = span.parentSpanId === undefined;
          expect(span.missing, `${span.from} → ${span.to} ${span.toEndpoint}`).toEqual(root ? ['REQ', 'REP'] : []);
          expect(span.errorCode).toBeUndefined();
        }
        expect(trace.spans.filter((s) => s.parentSpanId === undefined).map((s) => s.toEndpoint)).toEqual([
          basket ? 'GET /basket' : 'GET /quote/:symbol',
        ]);
      }
      // No fake trace leaked in, and the collector still answers health checks.
      expect((await collector.http.inject('/api/traces?service=flooder')).json()).toEqual({ traces: [] });
      expect((await collector.http.inject('/health')).json()).toMatchObject({ udp: 'OK', assembly: 'OK' });
    },
    testTimeoutMillis(90_000, 1, 300_000),
  );
});

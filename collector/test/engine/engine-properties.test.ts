/**
 * Property tests: random and mutated datagrams thrown at the engine. Whatever arrives, the engine
 * never throws, every datagram and event is accounted for, a span is only ever made of events of
 * its own (trace, span) — never another trace's — a late update never reaches the sink before the
 * span it updates, and memory stays within the caps. Even seeds ingest in batches of random length,
 * as the UDP receiver does (`beginBatch`/`endBatch`).
 */
import { decodeDatagram, EventFlags, MAX_NAME_LENGTH, type TraceEvent } from '@phosphor/wire';
import { describe, expect, it } from 'vitest';
import { encodeBatch } from '../../../wire/test/support/reference-encoder.js';
import type { EmitReason } from '../../src/assembly/span-sink.js';
import { CollectorEngine } from '../../src/engine/collector-engine.js';
import type { Span } from '../../src/model/span.js';
import { prng } from '../support/hops.js';

const TYPES = ['REQ', 'IN', 'OUT', 'REP'] as const;
const CAPS = { maxPendingSpans: 40, maxRememberedSpans: 60 };

function randomEvent(random: () => number, t0: number): TraceEvent {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T;
  // Few distinct ids, so hops collide across traces and spans repeat in many traces.
  const traceId = pick(['1', '2', '3', 'ab', 'x'.repeat(64), 'ä', '']);
  const spanId = pick(['s1', 's2', 's3', 's4', 'ß', 'y'.repeat(65)]);
  const event: TraceEvent = {
    type: pick(TYPES),
    traceId,
    spanId,
    from: pick(['a', 'b', '', 'c'.repeat(MAX_NAME_LENGTH + 1)]),
    fromEndpoint: pick(['GET /', '']),
    to: pick(['svc', 'db', '']),
    toEndpoint: pick(['Get', '']),
    timestampMicros: pick([t0 + Math.floor(random() * 1e6), -1, 0, Number.NaN, t0]),
    hostname: pick(['h1', 'h2', '']),
  };
  if (random() < 0.3) event.parentSpanId = pick(['s1', 's2', '', 'p']);
  if (random() < 0.3) event.durationMicros = pick([10, 0, -3, 1e6]);
  if (random() < 0.1) event.errorCode = 'E';
  if (random() < 0.1) event.tags = { k: pick(['v', '']), ...(random() < 0.3 ? { '': 'empty key' } : {}) };
  if (random() < 0.1) event.flags = 3;
  // Frames standing for a hop side's two events, valid (OUT/REP with a duration) or not.
  if (random() < 0.15) event.flags = (event.flags ?? 1) | EventFlags.carriesStart;
  return event;
}

function mutate(bytes: Buffer, random: () => number): Buffer {
  const r = random();
  if (r < 0.5) return bytes;
  const copy = Buffer.from(bytes);
  if (r < 0.8) {
    for (let i = 0; i < 1 + Math.floor(random() * 4); i++) {
      const at = Math.floor(random() * copy.length);
      copy[at] = Math.floor(random() * 256);
    }
    return copy;
  }
  if (r < 0.9) return copy.subarray(0, Math.floor(random() * copy.length));
  return Buffer.concat([copy, Buffer.from(Array.from({ length: 8 }, () => Math.floor(random() * 256)))]);
}

describe('engine invariants under random and mutated datagrams', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`seed ${seed}: never throws, counters add up, no span mixes traces, memory within caps`, () => {
      const random = prng(seed);
      let now = 0;
      const emitted: { span: Span; reason: EmitReason }[] = [];
      const engine = new CollectorEngine(
        { spanTimeoutMillis: 1000, skewCorrection: random() < 0.5, lateWindowMillis: 3000, now: () => now, ...CAPS },
        (spans, reason) => {
          for (const span of spans) emitted.push({ span, reason });
        },
      );
      /** Every timestamp sent per (trace, span, type): a span's raw times must come from its own key. */
      const sent = new Map<string, Set<number>>();
      let datagrams = 0;
      let accepted = 0;
      let rejected = 0;
      let acceptedEvents = 0;
      const batched = seed % 2 === 0;
      /** Datagrams left in the open batch; 0 = none open. */
      let batchLeft = 0;
      const endBatch = () => {
        if (batchLeft > 0) engine.endBatch();
        batchLeft = 0;
      };
      for (let i = 0; i < 600; i++) {
        if (batched && batchLeft === 0 && random() < 0.3) {
          engine.beginBatch();
          batchLeft = 1 + Math.floor(random() * 20);
        }
        const events = Array.from({ length: 1 + Math.floor(random() * 12) }, () => randomEvent(random, 1.7e15));
        const bytes = mutate(
          encodeBatch({
            tracerId: `t${i % 3}`,
            sequence: i,
            service: 's',
            hostname: 'h',
            sentAtMicros: 1,
            drops: { bufferFull: 0, tooLarge: 0, sendError: 0, sampledOut: 0 },
            events,
          }),
          random,
        );
        // What the datagram really carries after mutation, as the wire codec reads it.
        const decoded = decodeDatagram(bytes);
        if (decoded.ok) {
          for (const e of decoded.batch.events) {
            const key = `${e.traceId}\u0000${e.spanId}\u0000${e.type}`;
            const set = sent.get(key) ?? new Set<number>();
            sent.set(key, set);
            set.add(e.timestampMicros);
          }
        }
        datagrams++;
        const outcome = engine.ingestDatagram(bytes);
        expect(outcome.ok).toBe(decoded.ok);
        // The fast path and the codec agree on the events, a valid paired frame counting two.
        if (outcome.ok && decoded.ok) expect(outcome.acceptedEvents).toBe(decoded.batch.events.length);
        if (outcome.ok) {
          accepted++;
          acceptedEvents += outcome.acceptedEvents;
          expect(outcome.acceptedEvents + outcome.invalidEvents).toBeLessThanOrEqual(64);
        } else rejected++;
        if (batchLeft === 1) endBatch();
        else if (batchLeft > 0) batchLeft--;
        if (random() < 0.1) {
          // Timeouts run on a timer, never inside a batch.
          endBatch();
          now += Math.floor(random() * 2000);
          engine.sweep();
        }
        const stats = engine.stats();
        expect(stats.pendingSpans).toBeLessThanOrEqual(CAPS.maxPendingSpans);
        expect(stats.rememberedSpans).toBeLessThanOrEqual(CAPS.maxRememberedSpans);
        expect(stats.allocatedRows).toBeLessThanOrEqual(CAPS.maxPendingSpans + CAPS.maxRememberedSpans + 1);
      }
      endBatch();
      const stats = engine.stats();
      expect(accepted + rejected).toBe(datagrams);
      expect(stats.fastDecodedDatagrams + stats.codecDecodedDatagrams).toBe(datagrams);
      expect(stats.receivedEvents).toBe(acceptedEvents);
      const first = emitted.filter((e) => e.reason !== 'late');
      const late = emitted.filter((e) => e.reason === 'late');
      expect(first.length).toBe(stats.completeSpans + stats.partialSpans);
      expect(late.length).toBe(stats.updatedSpans);
      expect(stats.updatedSpans).toBe(stats.lateEvents);
      // Every valid event is either a duplicate or set one event of a hop: the hops' event counts add up.
      const emittedEvents = first.reduce((n, e) => n + Object.keys(e.span.rawEvents).length, 0) + stats.lateEvents;
      engine.flushAll();
      const flushed = emitted.slice(first.length + late.length).filter((e) => e.reason === 'shutdown');
      const pendingEvents = flushed.reduce((n, e) => n + Object.keys(e.span.rawEvents).length, 0);
      expect(stats.receivedEvents).toBe(stats.duplicateEvents + emittedEvents + pendingEvents);
      const seen = new Set<string>();
      for (const { span, reason } of emitted) {
        const key = `${span.traceId}\u0000${span.spanId}`;
        if (reason === 'late') expect(seen.has(key), `late update of ${key} before the span`).toBe(true);
        seen.add(key);
        for (const [type, t] of Object.entries(span.rawEvents)) {
          const own = sent.get(`${span.traceId}\u0000${span.spanId}\u0000${type}`);
          expect(own?.has(t), `${span.traceId}/${span.spanId} ${type}`).toBe(true);
        }
        if (span.skewMicros === 0) expect(span.events).toEqual(span.rawEvents);
      }
      engine.flushAndRelease();
      expect(engine.stats()).toMatchObject({ pendingSpans: 0, rememberedSpans: 0 });
    });
  }
});

describe('engine with a shared HMAC key', () => {
  it('accepts and rejects exactly what the wire codec does, with the same reason, for signed, unsigned and mutated datagrams', () => {
    const key = 'a-shared-key-of-16+chars';
    const keyBytes = Buffer.from(key, 'utf8');
    const random = prng(99);
    const engine = new CollectorEngine(
      {
        spanTimeoutMillis: 1000,
        skewCorrection: true,
        lateWindowMillis: 3000,
        maxPendingSpans: 100,
        maxRememberedSpans: 100,
        hmacKey: key,
      },
      () => {},
    );
    const reasons: Record<string, number> = {};
    for (let i = 0; i < 400; i++) {
      const events = Array.from({ length: 1 + Math.floor(random() * 6) }, () => randomEvent(random, 1.7e15));
      const batch = {
        tracerId: 't',
        sequence: i,
        service: 's',
        hostname: 'h',
        sentAtMicros: 1,
        drops: { bufferFull: 0, tooLarge: 0, sendError: 0, sampledOut: 0 },
        events,
      };
      const signed = random() < 0.8;
      const bytes = mutate(signed ? encodeBatch(batch, keyBytes) : encodeBatch(batch), random);
      const expected = decodeDatagram(bytes, keyBytes);
      const outcome = engine.ingestDatagram(bytes);
      expect(outcome.ok).toBe(expected.ok);
      if (!expected.ok) {
        expect(outcome.reason).toBe(expected.reason);
        reasons[expected.reason] = (reasons[expected.reason] ?? 0) + 1;
      } else {
        expect(outcome.acceptedEvents).toBe(expected.batch.events.length);
        expect(outcome.invalidEvents).toBe(expected.invalidEvents);
      }
    }
    expect(Object.keys(reasons)).toEqual(expect.arrayContaining(['missing_hmac', 'bad_hmac']));
  });
});

import { decodeDatagram, EventFlags, type TraceEvent } from '@phosphor/wire';
import { describe, expect, it } from 'vitest';
import { encodeBatch } from '../../../wire/test/support/reference-encoder.js';
import { EventRouter } from '../../src/shards/event-router.js';
import { OUTBOX_BYTES, ShardOutbox } from '../../src/shards/shard-outbox.js';
import { ownerOfTraceId } from '../../src/shards/trace-owner.js';
import { batchOf, prng } from '../support/hops.js';

const SHARDS = 3;
const TYPES = ['REQ', 'IN', 'OUT', 'REP'] as const;

function randomEvent(random: () => number, i: number): TraceEvent {
  const event: TraceEvent = {
    type: TYPES[Math.floor(random() * 4)] as TraceEvent['type'],
    traceId: String(Math.floor(random() * 1e15)),
    spanId: Math.floor(random() * 2 ** 48).toString(16),
    from: 'svc-a',
    fromEndpoint: 'GET /x',
    to: `svc-${i % 5}`,
    toEndpoint: 'Handle',
    timestampMicros: 1_700_000_000_000_000 + i,
    hostname: 'h1',
  };
  if (random() < 0.3) event.tags = { k: `v${i}`, correlation_id: event.traceId };
  if (random() < 0.2) event.errorCode = 'UNAVAILABLE';
  if (random() < 0.2) event.durationMicros = Math.floor(random() * 1000);
  if (random() < 0.1) event.parentSpanId = 'abcdef0123456789';
  // A frame standing for its hop side's two events (invalid on REQ/IN or without a duration).
  if (random() < 0.2) event.flags = 1 | EventFlags.carriesStart;
  // Invalid events (kept by the datagram, rejected one by one by the shard that decodes them).
  if (random() < 0.05) event.traceId = '';
  if (random() < 0.05) event.timestampMicros = -5;
  return event;
}

function randomDatagram(random: () => number): Buffer {
  const events = Array.from({ length: 1 + Math.floor(random() * 30) }, (_, i) => randomEvent(random, i));
  return encodeBatch(batchOf(events, Math.floor(random() * 1000), `tracer-${Math.floor(random() * 4)}`));
}

function mutate(d: Buffer, random: () => number): Buffer {
  const out = Buffer.from(d);
  const kind = random();
  if (kind < 0.4) {
    const flips = 1 + Math.floor(random() * 3);
    for (let i = 0; i < flips; i++) out[4 + Math.floor(random() * (out.length - 4))] = Math.floor(random() * 256);
    return out;
  }
  if (kind < 0.7) return out.subarray(0, 4 + Math.floor(random() * (out.length - 4)));
  const at = 4 + Math.floor(random() * (out.length - 4));
  const junk = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 6) }, () => Math.floor(random() * 256)));
  return Buffer.concat([out.subarray(0, at), junk, out.subarray(at)]);
}

/** Routes a datagram and decodes what each shard would get. */
function routeAndDecode(d: Buffer) {
  const perShard: Uint8Array[][] = Array.from({ length: SHARDS }, () => []);
  const outbox = new ShardOutbox(SHARDS, (shard, datagram) => perShard[shard]?.push(datagram.slice()));
  const result = new EventRouter(SHARDS, outbox).route(d);
  outbox.flush();
  const decoded = perShard.map((buffers) => buffers.map((b) => decodeDatagram(b)));
  return { result, decoded };
}

const canonical = (events: TraceEvent[]) => events.map((e) => JSON.stringify(e)).sort();

describe('EventRouter', () => {
  it('accepts and rejects exactly as decodeDatagram, and splits events by owner without losing or changing one', () => {
    const random = prng(2024);
    let accepted = 0;
    let rejected = 0;
    for (let i = 0; i < 1500; i++) {
      const base = randomDatagram(random);
      const d = i % 4 === 0 ? base : mutate(base, random);
      const expected = decodeDatagram(d);
      const { result, decoded } = routeAndDecode(d);
      if (!expected.ok) {
        rejected++;
        expect(result, `datagram ${i}`).toMatchObject({ ok: false, reason: expected.reason });
        expect(decoded.flat()).toEqual([]);
        continue;
      }
      accepted++;
      expect(result.ok, `datagram ${i}: ${JSON.stringify(result)}`).toBe(true);
      if (!result.ok) continue;
      const { events: _, ...header } = expected.batch;
      expect({ ...result.header, events: undefined }).toEqual({ ...header, events: undefined });
      const shardEvents: TraceEvent[] = [];
      let invalid = 0;
      decoded.forEach((results, shard) => {
        for (const r of results) {
          expect(r.ok).toBe(true);
          if (!r.ok) continue;
          invalid += r.invalidEvents;
          for (const e of r.batch.events) {
            // Bytes that are not UTF-8 decode to U+FFFD, so only ids that round-trip hash alike as strings.
            if (!e.traceId.includes('\uFFFD')) expect(ownerOfTraceId(e.traceId, SHARDS)).toBe(shard);
          }
          shardEvents.push(...r.batch.events);
        }
      });
      expect(canonical(shardEvents)).toEqual(canonical(expected.batch.events));
      expect(invalid).toBe(expected.invalidEvents);
      // Counted as events, a paired frame as two, valid or not: what was routed is what the shards
      // accept plus what they reject.
      expect(result.events).toBe(expected.batch.events.length + expected.invalidEvents);
    }
    // Both paths were exercised in earnest.
    expect(accepted).toBeGreaterThan(250);
    expect(rejected).toBeGreaterThan(250);
  });

  it('checks the HMAC like the decoder', () => {
    const key = 'a-shared-key-of-some-length';
    const signed = encodeBatch(batchOf([randomEvent(prng(1), 1)]), Buffer.from(key));
    const sink = { append() {} };
    expect(new EventRouter(2, sink, key).route(signed).ok).toBe(true);
    expect(new EventRouter(2, sink, key).route(encodeBatch(batchOf([randomEvent(prng(1), 1)])))).toMatchObject({
      ok: false,
      reason: 'missing_hmac',
    });
    const tampered = Buffer.from(signed);
    tampered.writeUInt8((tampered.at(-1) as number) ^ 1, tampered.length - 1);
    expect(new EventRouter(2, sink, key).route(tampered)).toMatchObject({ ok: false, reason: 'bad_hmac' });
  });
});

describe('ShardOutbox', () => {
  it('hands a buffer on when the next frame would not fit, and gives an oversized frame a buffer of its own', () => {
    const flushed: { shard: number; bytes: number; frames: number }[] = [];
    const outbox = new ShardOutbox(2, (shard, d, frames) => flushed.push({ shard, bytes: d.length, frames }));
    const frame = new Uint8Array(40_000).fill(7);
    outbox.append(1, frame, 0, frame.length, 1);
    outbox.append(1, frame, 0, frame.length, 1);
    expect(flushed).toEqual([{ shard: 1, bytes: 40_004, frames: 1 }]);
    const big = new Uint8Array(100_000);
    outbox.append(0, big, 0, big.length, 1);
    outbox.flush();
    expect(flushed.slice(1)).toEqual([
      { shard: 0, bytes: 100_004, frames: 1 },
      { shard: 1, bytes: 40_004, frames: 1 },
    ]);
    expect(outbox.pendingEvents()).toBe(0);
  });

  it('coalesces up to OUTBOX_BYTES before a hand-off', () => {
    const flushed: { shard: number; bytes: number; frames: number }[] = [];
    const outbox = new ShardOutbox(1, (shard, d, frames) => flushed.push({ shard, bytes: d.length, frames }));
    const frame = new Uint8Array(40_000).fill(3);
    const fit = Math.floor((OUTBOX_BYTES - 4) / frame.length);
    for (let i = 0; i < fit; i++) outbox.append(0, frame, 0, frame.length, 1);
    expect(flushed).toEqual([]);
    outbox.append(0, frame, 0, frame.length, 1);
    expect(flushed).toEqual([{ shard: 0, bytes: 4 + fit * frame.length, frames: fit }]);
    outbox.flush();
    expect(flushed[1]).toEqual({ shard: 0, bytes: 4 + frame.length, frames: 1 });
  });
});

import { describe, expect, it } from 'vitest';
import { type Batch, decodeDatagram, type TraceEvent } from '../src/index.js';
import {
  datagramOverheadBytes,
  encodeBatch,
  encodeDatagram,
  encodeEvent,
  eventFrameBytes,
} from './support/reference-encoder.js';

const event: TraceEvent = {
  type: 'OUT',
  traceId: '397237206544449536',
  spanId: '00f067aa0ba902b7',
  parentSpanId: '1111111111111111',
  from: 'gateway',
  fromEndpoint: 'GET /quote',
  to: 'quote',
  toEndpoint: 'Quote',
  timestampMicros: 1_763_700_000_123_456,
  hostname: 'host-a',
  zone: 'eu-west-1a',
  durationMicros: 5590,
  errorCode: 'E_CONFIG',
  errorDescription: 'Missing config at xxx',
  tags: { user: '42', '<b>': '<img src=x onerror=alert(1)>' },
  flags: 3,
};

const batch: Batch = {
  tracerId: 'abcdef0123456789',
  sequence: 7,
  service: 'quote',
  hostname: 'host-a',
  sentAtMicros: 1_763_700_000_200_000,
  drops: { bufferFull: 3, tooLarge: 1, sendError: 0, sampledOut: 9 },
  events: [
    event,
    { ...event, type: 'IN', durationMicros: undefined, errorCode: undefined, errorDescription: undefined },
  ],
};

describe('wire codec', () => {
  it('round-trips a batch with every field', () => {
    const result = decodeDatagram(encodeBatch(batch));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.invalidEvents).toBe(0);
    expect(result.batch.events[0]).toEqual(event);
    expect(result.batch.events[1]?.durationMicros).toBeUndefined();
    expect(result.batch.drops).toEqual(batch.drops);
    expect(result.batch.sequence).toBe(7);
  });

  it('predicts the datagram size exactly from overhead and frames', () => {
    const encoded = batch.events.map(encodeEvent);
    const predicted = datagramOverheadBytes(batch, true) + encoded.reduce((n, e) => n + eventFrameBytes(e.length), 0);
    expect(encodeDatagram(batch, encoded, Buffer.from('k')).length).toBe(predicted);
  });

  it('rejects datagrams without a valid HMAC when a key is configured', () => {
    const key = Buffer.from('shared-secret');
    expect(decodeDatagram(encodeBatch(batch, key), key).ok).toBe(true);
    expect(decodeDatagram(encodeBatch(batch), key)).toMatchObject({ ok: false, reason: 'missing_hmac' });
    const forged = encodeBatch(batch, Buffer.from('other-key'));
    expect(decodeDatagram(forged, key)).toMatchObject({ ok: false, reason: 'bad_hmac' });
    const tampered = encodeBatch(batch, key);
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 1) ^ 0xff, tampered.length - 1);
    expect(decodeDatagram(tampered, key)).toMatchObject({ ok: false, reason: 'bad_hmac' });
  });

  it.each([
    ['too_short', Buffer.from([0x50])],
    ['bad_magic', Buffer.from([1, 2, 1, 0, 0])],
    ['wrong_version', Buffer.from([0x50, 0x48, 9, 0])],
    ['malformed', Buffer.from([0x50, 0x48, 1, 0, 0xff, 0xff, 0xff])],
  ])('rejects %s datagrams without throwing', (reason, bytes) => {
    expect(decodeDatagram(bytes)).toMatchObject({ ok: false, reason });
  });

  it('drops invalid events but keeps the valid ones, naming the bad field', () => {
    const bad = { ...batch, events: [event, { ...event, traceId: '' }] };
    const result = decodeDatagram(encodeBatch(bad));
    expect(result).toMatchObject({ ok: true, invalidEvents: 1, firstInvalidReason: 'traceId: is required' });
  });
});

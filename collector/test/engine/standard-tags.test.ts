/**
 * Tracers send the standard semantic-convention tag keys as one-byte codes (`Event.standard_tags`,
 * field 17), other keys as text (`Event.tags`). The engine's decoder takes both on its fast path and
 * assembles the same spans as from datagrams with every key as text (what older tracers send).
 */
import { AppendStatus, DatagramWriter, type TraceEvent } from '@phosphor/wire';
import { describe, expect, it } from 'vitest';
import { serverTags } from '../../../wire/test/support/events.js';
import { encodeBatch, encodeDatagram, encodeEvent } from '../../../wire/test/support/reference-encoder.js';
import type { EmitReason } from '../../src/assembly/span-sink.js';
import type { CollectorEngine } from '../../src/engine/collector-engine.js';
import type { Span } from '../../src/model/span.js';
import { batchOf, hopEvents } from '../support/hops.js';
import { recordingEngine } from '../support/recording-engine.js';

const T0 = 1_700_000_000_000_000;
const drops = { bufferFull: 0, tooLarge: 0, sendError: 0, sampledOut: 0 };
const requestTags = serverTags;
const statusTags = Object.freeze({ 'http.response.status_code': '503', 'error.type': '503' });

function events(): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (let i = 0; i < 20; i++) {
    const hop = hopEvents({
      traceId: String(397_237_206_544_449_536n + BigInt(i)),
      spanId: (0x5000 + i).toString(16).padStart(16, '0'),
      times: { REQ: T0 + i * 1000, IN: T0 + i * 1000 + 120, OUT: T0 + i * 1000 + 480, REP: T0 + i * 1000 + 600 },
    });
    for (const event of hop) event.tags = event.type === 'REQ' || event.type === 'IN' ? requestTags : statusTags;
    out.push(...hop);
  }
  return out;
}

function engine(): { collector: CollectorEngine; spans: { span: Span; reason: EmitReason }[] } {
  const { collector, emitted } = recordingEngine();
  return { collector, spans: emitted };
}

function assemble(datagram: Buffer): { spans: { span: Span; reason: EmitReason }[]; byCodec: boolean } {
  const { collector, spans } = engine();
  const outcome = collector.ingestDatagram(datagram);
  expect(outcome.ok).toBe(true);
  collector.flushAll();
  return { spans, byCodec: outcome.decodedByCodec };
}

describe('standard tag codes', () => {
  it('assemble on the fast path into the same spans as the same tags with text keys', () => {
    const list = events();
    const writer = new DatagramWriter({ maxDatagramBytes: 16_384, tracerId: 'tracer-1', service: 's', hostname: 'h' });
    for (const event of list) expect(writer.append(event)).toBe(AppendStatus.appended);
    const coded = Buffer.from(writer.finish(0, drops, T0));
    const text = encodeBatch(batchOf(list));
    expect(coded.length).toBeLessThan(text.length - list.length * 30);
    const fromCodes = assemble(coded);
    const fromText = assemble(text);
    expect([fromCodes.byCodec, fromText.byCodec]).toEqual([false, false]);
    expect(fromCodes.spans).toHaveLength(20);
    expect(fromCodes.spans.map((s) => s.span.tags)).toEqual(fromText.spans.map((s) => s.span.tags));
    expect(fromCodes.spans[0]?.span.tags).toEqual({ ...requestTags, ...statusTags });
  });

  it('hands an entry with a code it does not know to the codec, which keeps the event without it', () => {
    const [req, rep] = hopEvents({ traceId: '42', spanId: 'abcdef0123456789', times: { REQ: T0, REP: T0 + 500 } });
    // REQ with {http.route: /x} as code 2 and an entry with code 200 (a newer tracer's key).
    const extra = Buffer.from([
      0x8a, 0x01, 0x06, 0x08, 0x02, 0x12, 0x02, 0x2f, 0x78, 0x8a, 0x01, 0x06, 0x08, 0xc8, 0x01, 0x12, 0x01, 0x79,
    ]);
    const reqBytes = Buffer.concat([Buffer.from(encodeEvent(req!)), extra]);
    const header = { tracerId: 'tracer-1', sequence: 0, service: 's', hostname: 'h', sentAtMicros: T0, drops };
    const { collector, spans } = engine();
    const outcome = collector.ingestDatagram(encodeDatagram(header, [reqBytes, encodeEvent(rep!)]));
    expect(outcome).toMatchObject({ ok: true, decodedByCodec: true, acceptedEvents: 2 });
    collector.flushAll();
    expect(spans).toHaveLength(1);
    expect(spans[0]?.span.tags).toEqual({ 'http.route': '/x' });
  });
});

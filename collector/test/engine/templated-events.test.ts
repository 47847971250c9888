/**
 * Tracers write the events of instrumented hops from templates (wire `EventTemplate`): the ids and
 * times first, then the repeating fields, not in field-number order. Protobuf allows any order; this
 * checks that the engine's own decoder takes such datagrams on its fast path and assembles exactly
 * the spans it assembles from the same events in field-number order.
 */
import {
  AppendStatus,
  DatagramWriter,
  decodeDatagram,
  EventFlags,
  EventTemplate,
  type TraceEvent,
} from '@phosphor/wire';
import { describe, expect, it } from 'vitest';
import { encodeBatch } from '../../../wire/test/support/reference-encoder.js';
import { batchOf, hopEvents } from '../support/hops.js';
import { recordingEngine } from '../support/recording-engine.js';
import { assembleDatagrams, writeDatagrams } from '../support/template-datagrams.js';

const T0 = 1_700_000_000_000_000;
const requestTags = Object.freeze({ 'http.request.method': 'GET', 'http.route': '/prix/:sku', 'server.port': '8080' });
const statusTags = Object.freeze({ 'http.response.status_code': '200' });

function events(): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (let i = 0; i < 60; i++) {
    const hop = hopEvents({
      traceId: String(397_237_206_544_449_536n + BigInt(i % 13)),
      spanId: (0x4000 + i).toString(16).padStart(16, '0'),
      ...(i % 3 === 0 ? {} : { parentSpanId: (0x4000 + i - 1).toString(16).padStart(16, '0') }),
      toEndpoint: i % 2 === 0 ? 'GET /prix/:sku' : 'POST /commande/é',
      times: { REQ: T0 + i * 1000, IN: T0 + i * 1000 + 120, OUT: T0 + i * 1000 + 480, REP: T0 + i * 1000 + 600 },
    });
    for (const event of hop) {
      event.tags = event.type === 'REQ' || event.type === 'IN' ? requestTags : statusTags;
      event.flags = i % 7 === 0 ? 3 : 1;
      if (i % 5 === 0) event.zone = 'eu-west-1a';
    }
    out.push(...hop);
  }
  return out;
}

/**
 * Each hop's two events of one side as one frame, as a tracer writes a hop whose end it already holds
 * when it encodes the start: the end event with both events' tags and `EventFlags.carriesStart`.
 */
function pairs(list: TraceEvent[]): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (let i = 0; i < list.length; i += 4) {
    const [req, inn, outEvent, rep] = list.slice(i, i + 4) as [TraceEvent, TraceEvent, TraceEvent, TraceEvent];
    for (const [start, end] of [
      [inn, outEvent],
      [req, rep],
    ] as const) {
      out.push({ ...end, tags: { ...start.tags, ...end.tags }, flags: (end.flags ?? 1) | EventFlags.carriesStart });
    }
  }
  return out;
}

/** Datagrams of `list`: inline, or each event from a template of its own. */
const datagrams = (list: TraceEvent[], templated: boolean): Buffer[] => writeDatagrams(list, { templated });
const assemble = assembleDatagrams;

describe('events written from templates', () => {
  it('assemble into the same spans as events in field-number order, on the fast path', () => {
    const list = events();
    const templated = datagrams(list, true);
    expect(templated.length).toBeGreaterThan(10);
    const fromTemplates = assemble(templated);
    const canonical = assemble(datagrams(list, false));
    expect(fromTemplates.byCodec).toBe(0);
    expect(fromTemplates.spans).toHaveLength(60);
    expect(fromTemplates.spans).toEqual(canonical.spans);
    expect(fromTemplates.spans[0]?.span.tags).toEqual({ ...requestTags, ...statusTags });
  });

  it('assemble from frames standing for both events of a hop side into the same spans as the four events', () => {
    const list = events();
    const paired = pairs(list);
    for (const templated of [true, false]) {
      const frames = datagrams(paired, templated);
      const fromPairs = assemble(frames);
      expect(fromPairs.byCodec).toBe(0);
      expect(fromPairs.spans).toEqual(assemble(datagrams(list, false)).spans);
    }
  });

  it('decode a paired frame to the two events a tracer would have sent, by the codec too', () => {
    const list = events();
    const decodedAll = (frames: Buffer[]) =>
      frames.flatMap((d) => {
        const result = decodeDatagram(d);
        expect(result.ok).toBe(true);
        return result.ok ? result.batch.events : [];
      });
    const byHop = (e: TraceEvent) => `${e.traceId}/${e.spanId}/${e.type}`;
    const sorted = (events: TraceEvent[]) => [...events].sort((a, b) => byHop(a).localeCompare(byHop(b)));
    const expected = sorted(list.map((e) => ({ ...e, tags: { ...e.tags } })));
    expect(sorted(decodedAll(datagrams(pairs(list), true)))).toEqual(expected);
    const { collector: engine } = recordingEngine();
    let accepted = 0;
    for (const datagram of datagrams(pairs(list), true)) accepted += engine.ingestDatagram(datagram).acceptedEvents;
    expect(accepted).toBe(list.length);
  });

  it('reject a paired frame that cannot stand for a start, naming the problem', () => {
    const [req] = events() as [TraceEvent];
    const writer = new DatagramWriter({ maxDatagramBytes: 1400, tracerId: 't', service: 's', hostname: 'h' });
    const bad = { ...req, flags: 1 | EventFlags.carriesStart };
    expect(writer.append(bad)).toBe(AppendStatus.invalid);
    const template = EventTemplate.encode({ ...req, type: 'OUT', flags: 1 | EventFlags.carriesStart });
    expect(template?.events).toBe(2);
    // No duration: no start time.
    expect(writer.appendFromTemplate(template as EventTemplate, '1', 'a', undefined, T0, undefined)).toBe(
      AppendStatus.invalid,
    );
    expect(EventTemplate.encode({ ...req, flags: 1 | EventFlags.carriesStart })).toBeUndefined();
    // A foreign encoder's REQ with the bit: the collector's decoders reject it by name, counting the
    // two events the frame claims to stand for (as the sharded router counts it).
    const { collector: engine } = recordingEngine();
    const datagram = encodeBatch(batchOf([{ ...req, flags: 1 | EventFlags.carriesStart }]));
    const outcome = engine.ingestDatagram(datagram);
    expect(outcome.ok && outcome.invalidEvents).toBe(2);
    expect(outcome.firstInvalidReason).toMatch(/flags: bit 2 \(carries start\) is only valid on OUT or REP/);
  });
});

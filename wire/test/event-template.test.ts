import { describe, expect, it } from 'vitest';
import {
  AppendStatus,
  DatagramWriter,
  decodeDatagram,
  EventFlags,
  EventTemplate,
  spanIdWordsText,
  type TraceEvent,
} from '../src/index.js';
import { fieldsOf, makeEvent } from './support/events.js';

const drops = { bufferFull: 0, tooLarge: 0, sendError: 0, sampledOut: 0 };
const identity = { tracerId: 'abcdef0123456789', service: 'quote', hostname: 'host-a' };

function appendFromTemplate(writer: DatagramWriter, event: TraceEvent): AppendStatus {
  const template = EventTemplate.encode(fieldsOf(event));
  if (template === undefined) throw new Error('template refused a valid event');
  return writer.appendFromTemplate(
    template,
    event.traceId,
    event.spanId,
    event.parentSpanId,
    event.timestampMicros,
    event.durationMicros,
  );
}

function decodeAll(datagrams: Buffer[]): TraceEvent[] {
  return datagrams.flatMap((d) => {
    const result = decodeDatagram(d);
    if (!result.ok) throw new Error(result.reason);
    return result.batch.events;
  });
}

/** What `append` writes for `event`, decoded: the reference for the templated encoding. */
function viaAppend(events: TraceEvent[]): TraceEvent[] {
  const writer = new DatagramWriter({ maxDatagramBytes: 65_000, ...identity });
  for (const event of events) expect(writer.append(event)).toBe(AppendStatus.appended);
  return decodeAll([writer.finish(0, drops, 1)]);
}

/** Appends through `append`, finishing the datagram into `out` first when it is full. */
function appendOrFinish(writer: DatagramWriter, out: Buffer[], append: () => AppendStatus): void {
  let status = append();
  if (status === AppendStatus.full) {
    out.push(Buffer.from(writer.finish(out.length, drops, 1)));
    status = append();
  }
  expect(status).toBe(AppendStatus.appended);
}

const tags = Object.freeze({ 'http.request.method': 'GET', 'http.route': '/prix/:sku', clé: 'välue ✓' });

describe('EventTemplate and DatagramWriter.appendFromTemplate', () => {
  const cases: [string, Partial<TraceEvent>][] = [
    ['a REQ with tags and a parent', { type: 'REQ', tags }],
    ['an IN of a root span, no tags, zone set', { type: 'IN', parentSpanId: undefined, zone: 'eu-west-1a', from: '' }],
    ['an OUT with a duration and non-ASCII names', { type: 'OUT', toEndpoint: 'GET /prix/é', durationMicros: 5590.5 }],
    ['a REP with flags 0 (not written) and a zero duration', { type: 'REP', flags: 0, durationMicros: 0 }],
    ['a persistent event with a 32-hex trace id', { flags: 3, traceId: '4bf92f3577b34da6a3ce929d0e0e4736' }],
    ['an event without flags (defaults to sampled)', { flags: undefined }],
  ];

  it.each(cases)('decodes to the same event as append: %s', (_name, overrides) => {
    const event = makeEvent(overrides);
    const writer = new DatagramWriter({ maxDatagramBytes: 1400, ...identity });
    expect(appendFromTemplate(writer, event)).toBe(AppendStatus.appended);
    expect(decodeAll([writer.finish(0, drops, 1)])).toEqual(viaAppend([event]));
  });

  it('mixes with append in one datagram, copying repeated ids across both, over datagram boundaries', () => {
    const writer = new DatagramWriter({ maxDatagramBytes: 700, ...identity });
    const events: TraceEvent[] = [];
    const datagrams: Buffer[] = [];
    for (let hop = 0; hop < 60; hop++) {
      const base = makeEvent({ parentSpanId: hop % 3 === 0 ? undefined : '2222222222222222' });
      for (const type of ['REQ', 'IN', 'OUT', 'REP'] as const) {
        // Long events (a two-byte length prefix) and short ones alternate; so do both ways of writing.
        const long = (hop + type.length) % 2 === 0;
        const event: TraceEvent = {
          ...base,
          type,
          tags: long ? Object.freeze({ long: 'x'.repeat(150) }) : undefined,
          durationMicros: type === 'OUT' || type === 'REP' ? hop : undefined,
        };
        const write = () =>
          (hop + events.length) % 3 === 0 ? writer.append(event) : appendFromTemplate(writer, event);
        let status = write();
        if (status === AppendStatus.full) {
          datagrams.push(Buffer.from(writer.finish(datagrams.length, drops, 1)));
          status = write();
        }
        expect(status).toBe(AppendStatus.appended);
        events.push(event);
      }
    }
    datagrams.push(Buffer.from(writer.finish(datagrams.length, drops, 1)));
    expect(datagrams.length).toBeGreaterThan(5);
    expect(decodeAll(datagrams)).toEqual(viaAppend(events));
  });

  it('writes a span id held as words as the same bytes as its text, copied for the next event of its hop', () => {
    const words: [number, number][] = [
      [0, 1],
      [0xffffffff, 0xffffffff],
      [0x0a0b0c0d, 0xdeadbeef],
      [0x80000000, 0x7fffffff],
    ];
    for (let i = 0; i < 200; i++) words.push([(i * 2654435761) >>> 0, (i * 40503 + 0x9e3779b9) >>> 0]);
    for (const [high, low] of words) {
      expect(spanIdWordsText(high, low)).toBe(high.toString(16).padStart(8, '0') + low.toString(16).padStart(8, '0'));
      // The same bits as signed words (how the tracer draws them) give the same digits.
      expect(spanIdWordsText(high | 0, low | 0)).toBe(spanIdWordsText(high, low));
    }
    const start = makeEvent({ type: 'IN', parentSpanId: undefined });
    const end = makeEvent({ type: 'OUT', parentSpanId: undefined, durationMicros: 7 });
    const templates = [start, end].map((e) => EventTemplate.encode(fieldsOf(e)) as EventTemplate);
    // Small datagrams: ids copied from the previous event, and hops split over datagram boundaries.
    const byWords = new DatagramWriter({ maxDatagramBytes: 400, ...identity });
    const byText = new DatagramWriter({ maxDatagramBytes: 400, ...identity });
    const sent: [Buffer[], Buffer[]] = [[], []];
    for (const [i, [high, low]] of words.entries()) {
      const traceId = String(1308677380302176256n + BigInt(i));
      const parent = i % 3 === 0 ? 'aaaaaaaaaaaaaaaa' : undefined;
      const text = spanIdWordsText(high, low);
      for (const [k, template] of templates.entries()) {
        const at = start.timestampMicros + k * 7;
        const duration = k === 0 ? undefined : 7;
        appendOrFinish(byWords, sent[0], () =>
          // Half the words signed, as the tracer draws them: the same digits.
          i % 2 === 0
            ? byWords.appendFromTemplate(template, traceId, undefined, parent, at, duration, high, low)
            : byWords.appendFromTemplate(template, traceId, undefined, parent, at, duration, high | 0, low | 0),
        );
        appendOrFinish(byText, sent[1], () => byText.appendFromTemplate(template, traceId, text, parent, at, duration));
      }
    }
    sent[0].push(Buffer.from(byWords.finish(sent[0].length, drops, 1)));
    sent[1].push(Buffer.from(byText.finish(sent[1].length, drops, 1)));
    expect(sent[0].length).toBeGreaterThan(20);
    expect(sent[0]).toEqual(sent[1]);
    const events = decodeAll(sent[0]);
    expect(events.map((e) => e.spanId)).toEqual(
      words.flatMap(([h, l]) => [spanIdWordsText(h, l), spanIdWordsText(h, l)]),
    );
  });

  it('writes ids known to be ASCII as the same bytes as ids checked per character, near datagram ends too', () => {
    const start = makeEvent({ type: 'IN', parentSpanId: undefined });
    const end = makeEvent({ type: 'OUT', parentSpanId: undefined, durationMicros: 7 });
    const templates = [start, end].map((e) => EventTemplate.encode(fieldsOf(e)) as EventTemplate);
    const block = Array.from({ length: 50 }, (_, i) => String(1308677380302176256n + BigInt(i))).join('');
    // Flat, sliced and concatenated strings, 1 to 64 characters: V8 stores each kind differently.
    const traceIds = [
      ...Array.from({ length: 50 }, (_, i) => block.slice(i * 19, i * 19 + 19)),
      '4bf92f3577b34da6a3ce929d0e0e4736',
      '7',
      'x'.repeat(64),
      `${'ab'.repeat(5)}${String(Date.now())}`,
    ];
    const ascii = new DatagramWriter({ maxDatagramBytes: 300, ...identity });
    const checked = new DatagramWriter({ maxDatagramBytes: 300, ...identity });
    const sent: [Buffer[], Buffer[]] = [[], []];
    for (const [i, traceId] of traceIds.entries()) {
      const spanId = i % 2 === 0 ? undefined : (0x1000 + i).toString(16).padStart(16, '0');
      const parent = i % 3 === 0 ? undefined : 'aaaaaaaaaaaaaaaa'.slice(0, 1 + (i % 16));
      for (const [k, template] of templates.entries()) {
        const at = start.timestampMicros + k * 7;
        const duration = k === 0 ? undefined : 7;
        appendOrFinish(ascii, sent[0], () =>
          ascii.appendFromTemplate(template, traceId, spanId, parent, at, duration, i + 1, i, true),
        );
        appendOrFinish(checked, sent[1], () =>
          checked.appendFromTemplate(template, traceId, spanId, parent, at, duration, i + 1, i, false),
        );
      }
    }
    sent[0].push(Buffer.from(ascii.finish(sent[0].length, drops, 1)));
    sent[1].push(Buffer.from(checked.finish(sent[1].length, drops, 1)));
    expect(sent[0].length).toBeGreaterThan(10);
    expect(sent[0]).toEqual(sent[1]);
    expect(decodeAll(sent[0]).map((e) => e.traceId)).toEqual(traceIds.flatMap((t) => [t, t]));
  });

  it('writes the ids of an event after a frame carrying both events of a hop in full, not as a stale repeat', () => {
    // A pair frame keeps no ids for the next frame to repeat; an event with the same ids after it, or
    // the next hop's pair, must still decode with its own ids.
    const pair = EventTemplate.encode(fieldsOf(makeEvent({ type: 'OUT', flags: 1 | EventFlags.carriesStart })));
    const single = EventTemplate.encode(fieldsOf(makeEvent({ type: 'OUT' })));
    if (pair === undefined || single === undefined) throw new Error('template refused a valid event');
    expect(pair.events).toBe(2);
    const writer = new DatagramWriter({ maxDatagramBytes: 1400, ...identity });
    const start = 1_700_000_000_000_000;
    const hops: [string, number, number][] = [
      ['1308677380302176256', 0x0a0b0c0d, 0xdeadbeef],
      ['1308677380302176257', 0x11111111, 0x22222222],
    ];
    for (const [traceId, high, low] of hops) {
      expect(writer.appendFromTemplate(pair, traceId, undefined, undefined, start + 10, 10, high, low)).toBe(
        AppendStatus.appended,
      );
      expect(writer.appendFromTemplate(single, traceId, undefined, undefined, start + 20, 20, high, low)).toBe(
        AppendStatus.appended,
      );
    }
    const events = decodeAll([writer.finish(0, drops, 1)]);
    expect(events.map((e) => [e.type, e.traceId, e.spanId, e.timestampMicros])).toEqual(
      hops.flatMap(([traceId, high, low]) => [
        ['IN', traceId, spanIdWordsText(high, low), start],
        ['OUT', traceId, spanIdWordsText(high, low), start + 10],
        ['OUT', traceId, spanIdWordsText(high, low), start + 20],
      ]),
    );
  });

  it('rejects invalid ids, timestamps and durations, leaving the datagram as it was', () => {
    const event = makeEvent({ type: 'OUT', durationMicros: 5 });
    const template = EventTemplate.encode(fieldsOf(event)) as EventTemplate;
    const writer = new DatagramWriter({ maxDatagramBytes: 1400, ...identity });
    expect(appendFromTemplate(writer, event)).toBe(AppendStatus.appended);
    const { traceId, spanId, parentSpanId, timestampMicros } = event;
    const bad: [string, string, string | undefined, number, number | undefined][] = [
      ['', spanId, parentSpanId, timestampMicros, 5],
      [traceId, 'x'.repeat(65), parentSpanId, timestampMicros, 5],
      [`${traceId}0`, spanId, 'p'.repeat(65), timestampMicros, 5],
      [traceId, spanId, parentSpanId, 0, 5],
      [traceId, spanId, parentSpanId, Number.NaN, 5],
      [traceId, spanId, parentSpanId, timestampMicros, -1],
      [traceId, spanId, parentSpanId, timestampMicros, Number.POSITIVE_INFINITY],
    ];
    for (const [t, s, p, ts, d] of bad) {
      expect(writer.appendFromTemplate(template, t, s, p, ts, d)).toBe(AppendStatus.invalid);
      expect(writer.appendFromTemplate(template, t, s, p, ts, d, 0, 0, true)).toBe(AppendStatus.invalid);
    }
    // No span id at all: neither text nor words (all-zero words are no span id).
    expect(writer.appendFromTemplate(template, traceId, undefined, parentSpanId, timestampMicros, 5)).toBe(
      AppendStatus.invalid,
    );
    expect(writer.appendFromTemplate(template, traceId, undefined, parentSpanId, timestampMicros, 5, 0, 0)).toBe(
      AppendStatus.invalid,
    );
    expect(writer.eventCount).toBe(1);
    expect(appendFromTemplate(writer, event)).toBe(AppendStatus.appended);
    expect(decodeAll([writer.finish(0, drops, 1)])).toEqual(viaAppend([event, event]));
  });

  it('refuses fields append would refuse', () => {
    const fields = fieldsOf(makeEvent());
    expect(EventTemplate.encode({ ...fields, type: 'NOPE' as TraceEvent['type'] })).toBeUndefined();
    expect(EventTemplate.encode({ ...fields, toEndpoint: 'x'.repeat(300) })).toBeUndefined();
    expect(EventTemplate.encode({ ...fields, hostname: 'h'.repeat(300) })).toBeUndefined();
    expect(EventTemplate.encode({ ...fields, flags: -1 })).toBeUndefined();
    expect(EventTemplate.encode({ ...fields, tags: { '': 'empty key' } })).toBeUndefined();
    expect(EventTemplate.encode({ ...fields, tags: { big: 'v'.repeat(5000) } })).toBeUndefined();
    expect(EventTemplate.encode({ ...fields, tags: { ok: 'v'.repeat(4096) } })).toBeInstanceOf(EventTemplate);
  });

  it('reports full when the next event does not fit, and tooLarge when it fits no datagram', () => {
    const writer = new DatagramWriter({ maxDatagramBytes: 600, ...identity });
    const event = makeEvent();
    let appended = 0;
    while (
      appendFromTemplate(writer, { ...event, spanId: String(appended).padStart(16, '0') }) === AppendStatus.appended
    ) {
      appended++;
    }
    expect(appended).toBeGreaterThan(1);
    expect(writer.finish(0, drops, 1).length).toBeLessThanOrEqual(600);
    const huge = makeEvent({ tags: { big: 'v'.repeat(4000) } });
    expect(appendFromTemplate(writer, huge)).toBe(AppendStatus.tooLarge);
    expect(writer.eventCount).toBe(0);
  });
});

describe('DatagramWriter.appendHopPair', () => {
  it('writes the bytes appendFromTemplate writes for a hop with ASCII ids, whichever path it takes', () => {
    const pairs = [
      EventTemplate.encode(fieldsOf(makeEvent({ type: 'OUT', flags: 1 | EventFlags.carriesStart }))),
      EventTemplate.encode(
        fieldsOf(makeEvent({ type: 'REP', toEndpoint: 'GET /b', flags: 1 | EventFlags.carriesStart, tags })),
      ),
    ];
    const single = EventTemplate.encode(fieldsOf(makeEvent({ type: 'OUT' })));
    if (pairs[0] === undefined || pairs[1] === undefined || single === undefined) throw new Error('template refused');
    const start = 1_700_000_000_000_000;
    // Ids of the tracer's sizes, ids too long for the short path (the frame past 127 bytes, or an id past
    // the wire's limit), a foreign span id as text, parents or none, and times the wire refuses.
    const hops: [string, string | undefined, number, number, string | undefined, number, number][] = [];
    for (let i = 0; i < 120; i++) {
      const traceId = i % 7 === 0 ? 'f'.repeat(32 + (i % 33)) : String(1308677380302176256n + BigInt(i));
      const spanText = i % 5 === 0 ? (0x1000 + i).toString(16).padStart(16, '0') : undefined;
      const parent = i % 3 === 0 ? undefined : i % 4 === 0 ? '' : 'a'.repeat(1 + (i % 16));
      hops.push([traceId, spanText, (i * 2654435761) | 0, i + 1, parent, start + i, start + i + 5 + (i % 9)]);
    }
    hops.push(['1', undefined, 0, 0, undefined, start, start + 1]); // no span id: invalid
    hops.push(['2', undefined, 1, 1, undefined, start + 10, start + 4]); // ends before it starts: duration 0
    hops.push(['3', undefined, 1, 1, undefined, 0, 0]); // no time: invalid
    hops.push(['x'.repeat(65), undefined, 1, 1, undefined, start, start + 1]); // over the id limit: invalid
    const direct = new DatagramWriter({ maxDatagramBytes: 700, ...identity });
    const general = new DatagramWriter({ maxDatagramBytes: 700, ...identity });
    const sent: [Buffer[], Buffer[]] = [[], []];
    const statuses: [AppendStatus[], AppendStatus[]] = [[], []];
    const run = (writer: DatagramWriter, k: 0 | 1, append: () => AppendStatus) => {
      let status = append();
      if (status === AppendStatus.full) {
        sent[k].push(Buffer.from(writer.finish(sent[k].length, drops, 1)));
        status = append();
      }
      statuses[k].push(status);
    };
    for (const [i, [traceId, spanText, high, low, parent, startMicros, endMicros]] of hops.entries()) {
      const template = pairs[i % 2] as EventTemplate;
      const duration = Math.max(0, endMicros - startMicros);
      run(direct, 0, () =>
        direct.appendHopPair(template, traceId, spanText, high, low, parent, startMicros, endMicros),
      );
      run(general, 1, () =>
        general.appendFromTemplate(template, traceId, spanText, parent, endMicros, duration, high, low, true),
      );
      // A single event between pairs: the short path must not leave ids for it to repeat.
      if (i % 11 === 0) {
        run(direct, 0, () =>
          direct.appendFromTemplate(single, traceId, spanText, parent, endMicros, 3, high, low, true),
        );
        run(general, 1, () =>
          general.appendFromTemplate(single, traceId, spanText, parent, endMicros, 3, high, low, true),
        );
      }
    }
    sent[0].push(Buffer.from(direct.finish(sent[0].length, drops, 1)));
    sent[1].push(Buffer.from(general.finish(sent[1].length, drops, 1)));
    expect(statuses[0]).toEqual(statuses[1]);
    expect(statuses[0].filter((s) => s === AppendStatus.invalid)).toHaveLength(3);
    expect(sent[0].length).toBeGreaterThan(10);
    expect(sent[0]).toEqual(sent[1]);
    const events = decodeAll(sent[0]);
    expect(events.filter((e) => e.traceId === '1308677380302176257').map((e) => e.type)).toEqual(['REQ', 'REP']);
  });
});

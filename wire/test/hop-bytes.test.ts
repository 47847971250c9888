import { describe, expect, it } from 'vitest';
import { INVALID, NO_ROOM } from '../src/event-fields.js';
import {
  AppendStatus,
  DatagramWriter,
  decodeDatagram,
  EventFlags,
  EventTemplate,
  HOP_BODY_MAX_BYTES,
  MAX_ID_LENGTH,
  spanIdWordsText,
  writeHopBody,
} from '../src/index.js';
import { fieldsOf, makeEvent } from './support/events.js';

const drops = { bufferFull: 0, tooLarge: 0, sendError: 0, sampledOut: 0 };
const identity = { tracerId: 'abcdef0123456789', service: 'quote', hostname: 'host-a' };
const START = 1_700_000_000_000_000;

function pairTemplate(endpoint: string): EventTemplate {
  const template = EventTemplate.encode(
    fieldsOf(makeEvent({ type: 'OUT', toEndpoint: endpoint, flags: 1 | EventFlags.carriesStart })),
  );
  if (template === undefined) throw new Error('template refused a valid event');
  return template;
}

/** A hop's body as appendHopBody reads it, written by writeHopBody after `offset` bytes of other data. */
function hopBody(
  offset: number,
  traceId: string,
  spanText: string | undefined,
  high: number,
  low: number,
  parent: string | undefined,
  endMicros: number,
  durationMicros: number,
): [DataView, number] {
  const buf = Buffer.alloc(offset + HOP_BODY_MAX_BYTES + 3);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const end = writeHopBody(
    buf,
    view,
    offset,
    buf.length,
    traceId,
    spanText,
    high,
    low,
    parent,
    endMicros,
    durationMicros,
  );
  expect(end).toBeGreaterThan(offset);
  return [view, end - offset];
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

describe('writeHopBody and DatagramWriter.appendHopBody', () => {
  it('writes the same bytes as appendFromTemplate given the ids and times, over datagram boundaries', () => {
    const templates = ['GET /a', 'GET /b', 'GET /c'].map(pairTemplate);
    const fromBytes = new DatagramWriter({ maxDatagramBytes: 400, ...identity });
    const fromStrings = new DatagramWriter({ maxDatagramBytes: 400, ...identity });
    const sent: [Buffer[], Buffer[]] = [[], []];
    const traceIds: string[] = [];
    for (let i = 0; i < 120; i++) {
      const traceId = i % 5 === 0 ? '4bf92f3577b34da6a3ce929d0e0e4736' : String(1308677380302176256n + BigInt(i));
      const spanText = i % 2 === 0 ? undefined : (0x1000 + i).toString(16).padStart(16, '0');
      const parent = i % 3 === 0 ? undefined : 'abcdef0123456789'.slice(0, 1 + (i % 16));
      const template = templates[i % 3 === 2 ? 2 : i % 2] as EventTemplate;
      const high = i + 1;
      const low = -i;
      const duration = i % 7;
      const [body, length] = hopBody(i % 4, traceId, spanText, high, low, parent, START + i, duration);
      appendOrFinish(fromBytes, sent[0], () => fromBytes.appendHopBody(template, body, i % 4, length));
      appendOrFinish(fromStrings, sent[1], () =>
        fromStrings.appendFromTemplate(template, traceId, spanText, parent, START + i, duration, high, low, true),
      );
      traceIds.push(traceId);
    }
    sent[0].push(Buffer.from(fromBytes.finish(sent[0].length, drops, 1)));
    sent[1].push(Buffer.from(fromStrings.finish(sent[1].length, drops, 1)));
    expect(sent[0].length).toBeGreaterThan(10);
    expect(sent[0]).toEqual(sent[1]);
    const events = sent[0].flatMap((d) => {
      const result = decodeDatagram(d);
      if (!result.ok) throw new Error(result.reason);
      return result.batch.events;
    });
    expect(events.map((e) => e.traceId)).toEqual(traceIds.flatMap((t) => [t, t]));
    expect(events.slice(0, 2).map((e) => [e.type, e.spanId, e.parentSpanId])).toEqual([
      ['IN', spanIdWordsText(1, 0), undefined],
      ['OUT', spanIdWordsText(1, 0), undefined],
    ]);
  });

  it('refuses invalid ids and times, and bodies out of range or for one event, leaving the datagram as it was', () => {
    const buf = Buffer.alloc(HOP_BODY_MAX_BYTES + 3);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const write = (
      traceId: string,
      spanText: string | undefined,
      high: number,
      parent: string | undefined,
      end: number,
      duration: number,
      limit = buf.length,
    ): number => writeHopBody(buf, view, 0, limit, traceId, spanText, high, 0, parent, end, duration);
    expect(write('', undefined, 1, undefined, START, 5)).toBe(INVALID);
    expect(write('t'.repeat(MAX_ID_LENGTH + 1), undefined, 1, undefined, START, 5)).toBe(INVALID);
    expect(write('t', 's'.repeat(MAX_ID_LENGTH + 1), 0, undefined, START, 5)).toBe(INVALID);
    expect(write('t', undefined, 1, 'p'.repeat(MAX_ID_LENGTH + 1), START, 5)).toBe(INVALID);
    expect(write('t', undefined, 0, undefined, START, 5)).toBe(INVALID);
    expect(write('t', undefined, 1, undefined, 5, 5)).toBe(INVALID);
    expect(write('t', undefined, 1, undefined, START, Number.NaN)).toBe(INVALID);
    expect(write('t', undefined, 1, undefined, START, 5, 30)).toBe(NO_ROOM);
    const template = pairTemplate('GET /a');
    const single = EventTemplate.encode(fieldsOf(makeEvent({ type: 'OUT' }))) as EventTemplate;
    const length = write('1'.repeat(19), undefined, 1, '2'.repeat(16), START, 5);
    const writer = new DatagramWriter({ maxDatagramBytes: 1400, ...identity });
    expect(writer.appendHopBody(template, view, 0, length)).toBe(AppendStatus.appended);
    expect(writer.appendHopBody(single, view, 0, length)).toBe(AppendStatus.invalid);
    expect(writer.appendHopBody(template, view, 0, 0)).toBe(AppendStatus.invalid);
    expect(writer.appendHopBody(template, view, -1, length)).toBe(AppendStatus.invalid);
    expect(writer.appendHopBody(template, view, buf.length - length, length)).toBe(AppendStatus.invalid);
    expect(writer.eventCount).toBe(2);
    const result = decodeDatagram(writer.finish(0, drops, 1));
    if (!result.ok) throw new Error(result.reason);
    expect(result.batch.events.map((e) => [e.type, e.traceId, e.parentSpanId, e.timestampMicros])).toEqual([
      ['IN', '1'.repeat(19), '2'.repeat(16), START - 5],
      ['OUT', '1'.repeat(19), '2'.repeat(16), START],
    ]);
  });

  it('reports full when the hop does not fit, and tooLarge when it fits no datagram', () => {
    const [body, length] = hopBody(0, '3'.repeat(MAX_ID_LENGTH), undefined, 1, 2, undefined, START, 5);
    const template = pairTemplate('GET /a');
    const writer = new DatagramWriter({ maxDatagramBytes: 300, ...identity });
    let appended = 0;
    while (writer.appendHopBody(template, body, 0, length) === AppendStatus.appended) appended++;
    expect(appended).toBeGreaterThan(0);
    expect(writer.appendHopBody(template, body, 0, length)).toBe(AppendStatus.full);
    const huge = EventTemplate.encode(
      fieldsOf(makeEvent({ type: 'OUT', flags: 1 | EventFlags.carriesStart, tags: { big: 'v'.repeat(400) } })),
    ) as EventTemplate;
    const empty = new DatagramWriter({ maxDatagramBytes: 300, ...identity });
    expect(empty.appendHopBody(huge, body, 0, length)).toBe(AppendStatus.tooLarge);
  });
});

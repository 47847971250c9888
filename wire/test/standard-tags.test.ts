import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import {
  AppendStatus,
  DatagramWriter,
  decodeDatagram,
  EventTemplate,
  STANDARD_TAG_KEYS,
  standardTagCode,
  standardTagKey,
  type TraceEvent,
} from '../src/index.js';
import { fieldsOf, makeEvent, serverTags } from './support/events.js';
import { encodeBatch, encodeDatagram, encodeEvent, PHOSPHOR_PROTO_URL } from './support/reference-encoder.js';

const drops = { bufferFull: 0, tooLarge: 0, sendError: 0, sampledOut: 0 };
const identity = { tracerId: 'abcdef0123456789', service: 'quote', hostname: 'host-a' };
const root = protobuf.parse(readFileSync(PHOSPHOR_PROTO_URL, 'utf8')).root;
const EventMessage = root.lookupType('phosphor.wire.v1.Event');

function writeOne(event: TraceEvent): Buffer {
  const writer = new DatagramWriter({ maxDatagramBytes: 16_384, ...identity });
  expect(writer.append(event)).toBe(AppendStatus.appended);
  return writer.finish(0, drops, 1);
}

function decodedEvents(datagram: Buffer): TraceEvent[] {
  const result = decodeDatagram(datagram);
  if (!result.ok) throw new Error(result.reason);
  return result.batch.events;
}

/** A datagram of one event: a valid IN followed by `extra` bytes of hand-encoded fields. */
function withEventBody(extra: number[]): Buffer {
  const encoded = Buffer.concat([Buffer.from(encodeEvent(makeEvent({ type: 'IN' }))), Buffer.from(extra)]);
  return encodeDatagram({ ...identity, sequence: 0, sentAtMicros: 1, drops }, [encoded]);
}

describe('standard tag keys', () => {
  it('gives each default semantic-convention key one code and back, and no code to other keys', () => {
    const keys = STANDARD_TAG_KEYS.filter((k) => k !== undefined);
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) expect(standardTagKey(standardTagCode(key) as number)).toBe(key);
    expect(standardTagCode('tenant')).toBeUndefined();
    expect(standardTagCode('__proto__')).toBeUndefined();
    expect([standardTagKey(0), standardTagKey(STANDARD_TAG_KEYS.length), standardTagKey(-1)]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('writes standard keys as codes in field 17 and others as text; decodes to the same tags', () => {
    const event = makeEvent({ type: 'IN', tags: serverTags });
    const datagram = writeOne(event);
    const [decoded] = decodedEvents(datagram);
    expect(decoded?.tags).toEqual(serverTags);
    // Only the custom key's text is in the datagram; the standard keys' text is not.
    expect(datagram.includes('tenant')).toBe(true);
    expect(datagram.includes('http.request.method')).toBe(false);
    expect(datagram.includes('server.address')).toBe(false);
  });

  it('is what protobufjs reads from phosphor.proto: a map<uint32, string> of codes beside the text tags', () => {
    const datagram = writeOne(makeEvent({ type: 'OUT', durationMicros: 5, tags: serverTags }));
    const result = decodeDatagram(datagram);
    if (!result.ok) throw new Error(result.reason);
    // The event's bytes: the datagram's one Batch.events entry, found by decoding the batch with protobufjs.
    const BatchMessage = root.lookupType('phosphor.wire.v1.Batch');
    const batch = BatchMessage.decode(datagram.subarray(4)) as unknown as { events: Array<Record<string, unknown>> };
    const raw = batch.events[0] as { tags: Record<string, string>; standardTags: Record<string, string> };
    expect(raw.tags).toEqual({ tenant: 'acme' });
    expect(raw.standardTags).toEqual({ '1': 'POST', '2': '/nextid', '4': 'http', '5': '127.0.0.1', '6': '8888' });
    expect(EventMessage.fields.standardTags?.id).toBe(17);
  });

  it('makes an instrumented event much smaller than with text keys', () => {
    const event = makeEvent({ type: 'IN', tags: serverTags });
    const coded = writeOne(event).length;
    // The reference encoder writes every key as text (as tracers did before the codes).
    const text = encodeBatch({ ...identity, sequence: 0, sentAtMicros: 1, drops, events: [event] }).length;
    expect(text - coded).toBeGreaterThanOrEqual(64 - 5 * 1);
  });

  it('still decodes datagrams with every key as text (tracers before the codes)', () => {
    const event = makeEvent({ type: 'IN', tags: serverTags });
    const datagram = encodeBatch({ ...identity, sequence: 0, sentAtMicros: 1, drops, events: [event] });
    expect(decodedEvents(datagram)[0]?.tags).toEqual(serverTags);
  });

  it('encodes the codes from templates too', () => {
    const event = makeEvent({ type: 'IN', tags: serverTags });
    const template = EventTemplate.encode(fieldsOf(event));
    if (template === undefined) throw new Error('template refused a valid event');
    const writer = new DatagramWriter({ maxDatagramBytes: 16_384, ...identity });
    writer.appendFromTemplate(
      template,
      event.traceId,
      event.spanId,
      event.parentSpanId,
      event.timestampMicros,
      undefined,
    );
    const datagram = writer.finish(0, drops, 1);
    expect(decodedEvents(datagram)[0]?.tags).toEqual(serverTags);
    expect(datagram.includes('http.route')).toBe(false);
  });

  it('skips an entry with a code it does not know, keeps known ones, and rejects a code sent as text', () => {
    // field 17 entries: {1: 200 (unknown code), 2: "x"} and {1: 3, 2: "200"}.
    const unknown = [0x8a, 0x01, 0x06, 0x08, 0xc8, 0x01, 0x12, 0x01, 0x78];
    const known = [0x8a, 0x01, 0x07, 0x08, 0x03, 0x12, 0x03, 0x32, 0x30, 0x30];
    const [onlyUnknown] = decodedEvents(withEventBody(unknown));
    expect(onlyUnknown?.tags).toBeUndefined();
    const [both] = decodedEvents(withEventBody([...unknown, ...known]));
    expect(both?.tags).toEqual({ 'http.response.status_code': '200' });
    // The key as a length-delimited field is the wrong wire type for a uint32: the datagram is malformed.
    const wrongType = [0x8a, 0x01, 0x05, 0x0a, 0x01, 0x03, 0x12, 0x00];
    expect(decodeDatagram(withEventBody(wrongType)).ok).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import {
  BATCH_EVENTS_FIELD,
  BatchHeaderFields,
  type BatchHeaderSource,
  MalformedPayload,
  ProtobufReader,
  readBatchHeaderField,
} from '../src/index.js';

/** The plainest header-string reader: decodes each string afresh. */
class PlainReader extends ProtobufReader implements BatchHeaderSource {
  headerString(field: string): string {
    const end = this.lengthEnd(field);
    const start = this.pos;
    this.pos = end;
    return this.buf.toString('utf8', start, end);
  }
}

const tag = (field: number, wireType: number) => (field << 3) | wireType;
const double = (value: number) => {
  const bytes = Buffer.alloc(8);
  bytes.writeDoubleLE(value);
  return [...bytes];
};
const text = (field: number, value: string) => [tag(field, 2), value.length, ...Buffer.from(value)];
const drops = (entries: [number, number][]) => {
  const body = entries.flatMap(([field, value]) => [tag(field, 1), ...double(value)]);
  return [tag(5, 2), body.length, ...body];
};

/** Reads every header field of `bytes` the way the decoder's loop does (no events in these payloads). */
function readHeader(bytes: number[]): BatchHeaderFields {
  const r = new PlainReader();
  r.reset(Buffer.from(bytes), 0);
  const h = new BatchHeaderFields();
  h.tracerId = 'stale';
  h.reset();
  while (r.pos < r.end) {
    const t = r.varint32();
    expect(t >>> 3).not.toBe(BATCH_EVENTS_FIELD);
    readBatchHeaderField(r, t >>> 3, t & 7, h);
  }
  return h;
}

describe('readBatchHeaderField', () => {
  it('reads every header field, skips unknown ones, and a repeated drops message replaces the earlier one', () => {
    const h = readHeader([
      ...text(1, 'tracer-1'),
      tag(2, 0),
      42,
      ...text(3, 'gateway'),
      ...text(4, 'host-a'),
      ...drops([
        [1, 7],
        [3, 8],
      ]),
      tag(9, 0),
      5, // unknown varint field
      ...drops([[2, 3]]),
      tag(7, 1),
      ...double(1_700_000_000_000_000),
    ]);
    expect(h.toBatch([])).toEqual({
      tracerId: 'tracer-1',
      sequence: 42,
      service: 'gateway',
      hostname: 'host-a',
      sentAtMicros: 1_700_000_000_000_000,
      drops: { bufferFull: 0, tooLarge: 3, sendError: 0, sampledOut: 0 },
      events: [],
    });
  });

  it('names the field whose wire type is wrong, as the decoder reports it', () => {
    expect(() => readHeader([tag(2, 2), 0])).toThrow(new MalformedPayload('sequence: wire type 2, expected 0'));
    expect(() => readHeader([tag(7, 0), 1])).toThrow('sentAtMicros: wire type 0, expected 1');
    expect(() => readHeader([tag(5, 2), 2, tag(1, 0), 1])).toThrow('drops: wire type 0, expected 1');
    expect(() => readHeader([tag(3, 2), 9, 0x61])).toThrow(
      'service: length 9 runs past the end of its message at byte 2',
    );
  });
});

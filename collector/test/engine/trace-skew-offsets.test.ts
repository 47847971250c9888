import { describe, expect, it } from 'vitest';
import { HostOffsets } from '../../src/assembly/skew.js';
import { MAX_TRACKED_TRACE_OFFSETS, TraceSkewOffsets } from '../../src/engine/trace-skew-offsets.js';
import { hashId } from '../../src/util/id-bytes-column.js';

const of = (offsets: TraceSkewOffsets, traceId: string) => offsets.of(traceId, hashId(traceId));

describe('TraceSkewOffsets', () => {
  it('keeps each trace’s host offsets as HostOffsets would, hosts past the first two included', () => {
    const offsets = new TraceSkewOffsets();
    const reference = new Map<string, HostOffsets>();
    let seed = 3;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) | 0;
      return (seed >>> 8) / 16777216;
    };
    for (let i = 0; i < 5000; i++) {
      const traceId = `trace-${Math.floor(random() * 300)}`;
      const host = `host-${Math.floor(random() * 5)}`;
      const table = of(offsets, traceId);
      const expected = reference.get(traceId) ?? new HostOffsets();
      reference.set(traceId, expected);
      expect(table.has(host)).toBe(expected.has(host));
      expect(table.get(host)).toBe(expected.get(host));
      if (!table.has(host)) {
        const offset = Math.floor(random() * 1000) - 500;
        table.set(host, offset);
        expected.set(host, offset);
      }
    }
    expect(offsets.size).toBe(reference.size);
  });

  it(`forgets the oldest trace past ${MAX_TRACKED_TRACE_OFFSETS} traces`, () => {
    const offsets = new TraceSkewOffsets();
    for (let i = 0; i <= MAX_TRACKED_TRACE_OFFSETS; i++) of(offsets, `t${i}`).set('h', i);
    expect(offsets.size).toBe(MAX_TRACKED_TRACE_OFFSETS);
    expect(of(offsets, `t${MAX_TRACKED_TRACE_OFFSETS}`).get('h')).toBe(MAX_TRACKED_TRACE_OFFSETS);
    expect(of(offsets, 't1').get('h')).toBe(1);
    // t0 was forgotten: asking for it again starts it afresh.
    expect(of(offsets, 't0').get('h')).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { Aggregates } from '../../src/aggregates/aggregates.js';
import { mergeDependencies, mergeServices, mergeWindow } from '../../src/aggregates/merge-aggregates.js';
import type { Span } from '../../src/model/span.js';
import { prng } from '../support/hops.js';

function span(i: number, random: () => number): Span {
  const to = i % 3 === 0 ? 'ids' : 'quote';
  return {
    traceId: `${i}`,
    spanId: 's',
    from: 'gateway',
    fromEndpoint: 'GET /',
    to,
    toEndpoint: to === 'ids' ? 'NextID' : 'Quote',
    serverHost: `${to}-${i % 2}`,
    clientHost: 'gw',
    events: {},
    rawEvents: {},
    skewMicros: 0,
    skewCorrected: false,
    missing: [],
    startMicros: 0,
    durationMicros: 0,
    serverDurationMicros: Math.floor(random() * 50_000) + 1,
    clientDurationMicros: Math.floor(random() * 80_000) + 1,
    ...(i % 17 === 0 ? { errorCode: 'E' } : {}),
    tags: {},
  };
}

describe('merging aggregates across processes', () => {
  it('equals one process that saw every span (histograms summed, not percentiles averaged)', () => {
    const now = 1_000_000_000_000;
    const options = { windowsMinutes: [1, 5], bucketSeconds: 10, maxKeys: 100, now: () => now };
    const whole = new Aggregates(options);
    const parts = [new Aggregates(options), new Aggregates(options), new Aggregates(options)];
    const random = prng(7);
    for (let i = 0; i < 5000; i++) {
      const s = span(i, random);
      whole.record(s);
      // Uneven split, as partitions are: the percentiles of each part differ from the whole's.
      parts[i % 7 === 0 ? 0 : i % 2 === 0 ? 1 : 2]!.record(s);
    }
    const exported = parts.map((p) => p.exportAll());
    for (const minutes of [1, 5]) {
      const merged = mergeWindow(exported, minutes);
      const expected = whole.snapshot(minutes)!;
      const strip = (rows: object[]) =>
        rows
          .map((r) => JSON.parse(JSON.stringify(r)) as object)
          .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
      expect(strip(merged.endpoints)).toEqual(strip(expected.endpoints));
      expect(strip(merged.edges)).toEqual(strip(expected.edges));
      expect(strip(merged.hosts)).toEqual(strip(expected.hosts));
    }
    expect(mergeDependencies(exported)).toEqual(whole.dependencies());
    expect(mergeServices(exported)).toEqual(whole.services());
  });
});

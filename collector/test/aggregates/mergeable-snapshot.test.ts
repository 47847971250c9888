import { describe, expect, it } from 'vitest';
import { Aggregates } from '../../src/aggregates/aggregates.js';
import { mergeAggregateSnapshots } from '../../src/aggregates/mergeable-snapshot.js';
import type { Span } from '../../src/model/span.js';
import { prng } from '../support/hops.js';

function span(i: number, random: () => number): Span {
  const server = Math.round(10 + random() * 5000);
  return {
    traceId: `t${i}`,
    spanId: `s${i}`,
    from: i % 3 === 0 ? 'web' : 'api',
    fromEndpoint: 'GET /',
    to: i % 2 === 0 ? 'ids' : 'db',
    toEndpoint: i % 4 < 2 ? 'NextID' : 'query',
    serverHost: `h${i % 3}`,
    events: {},
    rawEvents: {},
    skewMicros: 0,
    skewCorrected: false,
    missing: [],
    clientDurationMicros: server + 100,
    serverDurationMicros: server,
    startMicros: 0,
    durationMicros: server + 100,
    errorCode: random() < 0.1 ? 'E' : undefined,
    tags: {},
  };
}

describe('mergeable aggregate snapshots', () => {
  it('merging shards gives what one collector seeing all the spans reports', () => {
    const random = prng(3);
    let now = 1_700_000_000_000;
    const options = { windowsMinutes: [1, 5, 15], bucketSeconds: 10, maxKeys: 100, now: () => now };
    const whole = new Aggregates(options);
    const shards = [new Aggregates(options), new Aggregates(options), new Aggregates(options)];
    for (let i = 0; i < 3000; i++) {
      const s = span(i, random);
      whole.recordAll([s]);
      (shards[i % 3] as Aggregates).recordAll([s]);
      if (i % 100 === 0) now += 7_000;
    }
    for (const minutes of [1, 5, 15]) {
      const merged = mergeAggregateSnapshots(shards.map((a) => a.mergeableSnapshot(minutes)!));
      const expected = whole.snapshot(minutes)!;
      const byKey = <T>(rows: T[], key: (r: T) => string) => new Map(rows.map((r) => [key(r), r]));
      for (const family of ['endpoints', 'edges', 'hosts'] as const) {
        const key = (r: Record<string, unknown>) => JSON.stringify([r.service, r.endpoint, r.from, r.to, r.host]);
        expect(byKey(merged![family] as never[], key as never), `${minutes}m ${family}`).toEqual(
          byKey(expected[family] as never[], key as never),
        );
      }
      expect(merged!.endpoints.length).toBeGreaterThan(0);
    }
    expect(whole.mergeableSnapshot(2)).toBeUndefined();
    expect(mergeAggregateSnapshots([])).toBeUndefined();
  });
});

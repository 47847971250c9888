import { describe, expect, it } from 'vitest';
import { Aggregates } from '../../src/aggregates/aggregates.js';
import type { Span } from '../../src/model/span.js';

function span(over: Partial<Span>): Span {
  return {
    traceId: 't',
    spanId: 's',
    from: 'front',
    fromEndpoint: 'GET /',
    to: 'ids',
    toEndpoint: 'NextID',
    serverHost: 'ids-1',
    clientHost: 'web-1',
    events: {},
    rawEvents: {},
    skewMicros: 0,
    skewCorrected: false,
    missing: [],
    startMicros: 0,
    durationMicros: 0,
    tags: {},
    ...over,
  };
}

describe('Aggregates', () => {
  it('computes count, rate, errors and percentiles per endpoint, edge and host', () => {
    let now = 1_000_000_000_000;
    const agg = new Aggregates({ windowsMinutes: [1, 5], bucketSeconds: 10, maxKeys: 100, now: () => now });
    now += 60_000; // collector older than the 1-minute window: rate = count / 60 s
    const durations: number[] = [];
    for (let i = 1; i <= 1000; i++) {
      durations.push(i * 10);
      agg.record(
        span({
          serverDurationMicros: i * 10,
          clientDurationMicros: i * 10 + 100,
          ...(i % 10 === 0 ? { errorCode: 'E' } : {}),
        }),
      );
    }
    const snap = agg.snapshot(1)!;
    expect(snap.window).toBe('1m');
    const [endpoint] = snap.endpoints;
    expect(endpoint).toMatchObject({ service: 'ids', endpoint: 'NextID', count: 1000, errors: 100, maxMicros: 10_000 });
    expect(endpoint!.ratePerSecond).toBeCloseTo(1000 / 60, 6);
    // Exact percentiles of 10..10000 step 10 are 5000, 9500, 9900; HDR with 2 digits is within 1 %.
    expect(endpoint!.p50Micros).toBeGreaterThanOrEqual(5000 * 0.99);
    expect(endpoint!.p50Micros).toBeLessThanOrEqual(5000 * 1.01);
    expect(endpoint!.p95Micros / 9500).toBeCloseTo(1, 1);
    expect(endpoint!.p99Micros / 9900).toBeCloseTo(1, 1);
    expect(snap.edges[0]).toMatchObject({ from: 'front', to: 'ids', count: 1000, maxMicros: 10_100 });
    expect(snap.hosts[0]).toMatchObject({ host: 'ids-1', count: 1000, errors: 100 });
    expect(agg.snapshot(15)).toBeUndefined();
  });

  it('slides: requests older than the window drop out', () => {
    let now = 1_000_000_000_000;
    const agg = new Aggregates({ windowsMinutes: [1, 5], bucketSeconds: 10, maxKeys: 100, now: () => now });
    agg.record(span({ serverDurationMicros: 100 }));
    now += 2 * 60_000;
    agg.record(span({ serverDurationMicros: 200 }));
    expect(agg.snapshot(1)!.endpoints[0]).toMatchObject({ count: 1, maxMicros: 200 });
    expect(agg.snapshot(5)!.endpoints[0]).toMatchObject({ count: 2, maxMicros: 200 });
    now += 10 * 60_000;
    expect(agg.snapshot(5)!.endpoints).toEqual([]);
    agg.prune();
    expect(agg.stats().aggregateKeys).toBe(0);
  });

  it('builds the dependency graph and the service catalog at ingest', () => {
    const agg = new Aggregates({ windowsMinutes: [1], bucketSeconds: 10, maxKeys: 100 });
    agg.record(span({ serverDurationMicros: 1, clientDurationMicros: 2 }));
    agg.record(span({ serverDurationMicros: 1, errorCode: 'X' }));
    agg.record(span({ from: '', fromEndpoint: '', to: 'front', toEndpoint: 'GET /', serverDurationMicros: 5 }));
    expect(agg.dependencies()).toEqual({
      nodes: [
        { service: 'front', calls: 1, errors: 0 },
        { service: 'ids', calls: 2, errors: 1 },
      ],
      edges: [{ from: 'front', to: 'ids', calls: 2, errors: 1 }],
    });
    expect(agg.services()).toEqual([
      { service: 'front', endpoints: ['GET /'] },
      { service: 'ids', endpoints: ['NextID'] },
    ]);
  });

  it('caps keys so random names cannot grow memory', () => {
    const agg = new Aggregates({ windowsMinutes: [1], bucketSeconds: 10, maxKeys: 5 });
    for (let i = 0; i < 50; i++) agg.record(span({ to: `svc${i}`, serverHost: `h${i}`, serverDurationMicros: 1 }));
    const snap = agg.snapshot(1)!;
    expect(snap.endpoints).toHaveLength(5);
    expect(snap.hosts).toHaveLength(5);
    expect(agg.dependencies().nodes.length).toBeLessThanOrEqual(5);
    expect(agg.stats().droppedAggregateKeys).toBeGreaterThan(0);
  });
});

import { describe, expect, it } from 'vitest';
import {
  parseAggregates,
  parseConfig,
  parseDependencies,
  parseTrace,
  parseTraceSummaries,
} from '../../src/api/validate.js';
import { DashboardError } from '../../src/errors.js';
import { generateTrace } from '../../src/fixtures/synthetic-trace.js';

function shapeError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DashboardError);
    expect((err as DashboardError).code).toBe('DSH_ERR_API_SHAPE');
    return (err as Error).message;
  }
  throw new Error('expected a shape error');
}

describe('API response validation', () => {
  it('accepts the collector trace response and keeps every field', () => {
    const spans = generateTrace({ spanCount: 50, seed: 1, partialRatio: 0.3 });
    const parsed = parseTrace(
      JSON.parse(JSON.stringify({ traceId: 'x', spans, orphanSpanIds: [], pendingSpanIds: [] })),
    );
    expect(parsed).toEqual(spans);
  });

  it.each([
    [{ spans: [{ spanId: 'a' }] }, 'spans[0].events: expected an object, got undefined'],
    [{ spans: 'nope' }, 'trace.spans: expected an array, got string'],
    [
      [{ ...generateTrace({ spanCount: 1 })[0], events: { REQ: 'soon' } }],
      'spans[0].events.REQ: expected a finite number, got string',
    ],
    [
      [{ ...generateTrace({ spanCount: 1 })[0], missing: ['LATER'] }],
      'spans[0].missing[0]: expected one of REQ, IN, OUT, REP',
    ],
    [[{ ...generateTrace({ spanCount: 1 })[0], tags: { a: 1 } }], 'spans[0].tags["a"]: expected a string, got number'],
  ])('names the bad field (%#)', (body, message) => {
    expect(shapeError(() => parseTrace(body))).toContain(message);
  });

  it('reads search rows from { traces }', () => {
    const row = {
      traceId: '1',
      rootService: 'a',
      rootEndpoint: 'b',
      rootSeen: false,
      startMicros: 1,
      durationMicros: 2,
      spanCount: 3,
      errorCount: 0,
      services: ['a'],
    };
    expect(parseTraceSummaries({ traces: [row] })).toEqual([row]);
    // A collector that predates rootSeen: its rows read as having a root.
    const { rootSeen: _, ...older } = row;
    expect(parseTraceSummaries({ traces: [older] })).toEqual([{ ...row, rootSeen: true }]);
    expect(shapeError(() => parseTraceSummaries({ traces: [{ ...row, rootSeen: 'no' }] }))).toContain(
      'traces[0].rootSeen',
    );
    expect(shapeError(() => parseTraceSummaries({ traces: [{ ...row, durationMicros: null }] }))).toContain(
      'traces[0].durationMicros',
    );
  });

  it('reads aggregates and the dependency graph, adding nodes named only by edges', () => {
    const stats = {
      count: 10,
      ratePerSecond: 0.5,
      errors: 1,
      p50Micros: 100,
      p95Micros: 200,
      p99Micros: 300,
      maxMicros: 400,
    };
    const agg = parseAggregates({
      window: '5m',
      windowSeconds: 300,
      generatedAtMicros: 1,
      endpoints: [{ service: 's', endpoint: 'e', ...stats }],
      edges: [],
      hosts: [],
    });
    expect(agg.endpoints[0]).toEqual({ service: 's', endpoint: 'e', ...stats });
    const graph = parseDependencies({
      nodes: [{ service: 'a', calls: 1, errors: 0 }],
      edges: [{ from: 'a', to: 'b', calls: 5, errors: 1 }],
    });
    expect(graph.nodes.map((n) => n.service)).toEqual(['a', 'b']);
    expect(shapeError(() => parseDependencies({ nodes: [], edges: [{ from: 'a', to: 'b' }] }))).toContain(
      'dependencies.edges[0].calls',
    );
  });

  it('treats a null kibanaUrl as not configured', () => {
    expect(parseConfig({ kibanaUrl: null, windows: ['1m', '5m'], storage: 'memory' })).toEqual({
      windows: ['1m', '5m'],
    });
  });
});

/**
 * Equivalence of the engine with the old core it replaced: the same recorded and generated
 * streams (clean, shuffled + duplicated + missing + late + skewed, tracer-made datagrams, mutated
 * bytes) must give identical emitted spans, traces, searches, aggregates, dependency graph,
 * services, per-client loss and counters. The golden files were written by the old core
 * (assembly/span-assembler.ts fed by the wire codec) with equivalence/generate-golden.ts before
 * that core was removed; they are compared, never regenerated from the engine.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CollectorEngine } from '../../src/engine/collector-engine.js';
import { engineCore } from './equivalence/engine-core.js';
import { runStream } from './equivalence/run-stream.js';
import { STREAMS } from './equivalence/streams.js';

const goldenDir = join(dirname(fileURLToPath(import.meta.url)), 'equivalence', 'golden');

type Searches = Record<string, Array<Record<string, unknown>>>;

/**
 * Trace summaries gained `rootSeen` after the golden files were written (summaries are the store's,
 * not the engine's): it must say whether the trace as read holds a span without a parent, and is
 * left out of the comparison with the old core's output.
 */
function checkRootSeen(actual: Record<string, unknown>): void {
  const byTrace = new Map<string, Array<{ parentSpanId?: string }>>();
  for (const trace of actual.traces as Array<
    { traceId: string; spans: Array<{ parentSpanId?: string }> } | undefined
  >) {
    if (trace) byTrace.set(trace.traceId, trace.spans);
  }
  for (const rows of Object.values(actual.searches as Searches)) {
    for (const row of rows) {
      const spans = byTrace.get(row.traceId as string) ?? [];
      expect(row.rootSeen, String(row.traceId)).toBe(spans.some((span) => span.parentSpanId === undefined));
    }
  }
}

function withoutRootSeen(searches: Searches): Searches {
  return Object.fromEntries(
    Object.entries(searches).map(([name, rows]) => [name, rows.map(({ rootSeen: _, ...row }) => row)]),
  );
}

describe('engine ≡ old core', () => {
  it('decodes well-formed streams on the fast path (the comparison is not the codec against itself)', () => {
    for (const name of ['clean', 'chaos-1', 'tracer']) {
      let now = 0;
      const engine = new CollectorEngine(
        {
          spanTimeoutMillis: 5000,
          maxPendingSpans: 300,
          skewCorrection: true,
          lateWindowMillis: 60_000,
          maxRememberedSpans: 500,
          now: () => now,
        },
        () => {},
      );
      let datagrams = 0;
      for (const step of (STREAMS[name] as () => ReturnType<(typeof STREAMS)[string]>)()) {
        if (step.kind === 'datagram') {
          engine.ingestDatagram(step.bytes);
          datagrams++;
        } else if (step.kind === 'advance') now += step.millis;
      }
      expect(engine.stats(), name).toMatchObject({ fastDecodedDatagrams: datagrams, codecDecodedDatagrams: 0 });
    }
  });

  // The store and the aggregates fed Span objects (as exporters and other stores are) and fed the
  // engine's span batches (the collector's own path): both must give what the old core gave.
  for (const [name, make] of Object.entries(STREAMS)) {
    it.each(['spans', 'batch'] as const)(
      `${name}: same spans, traces, aggregates and counters as the old core (sink: %s)`,
      async (sinkKind) => {
        const golden = JSON.parse(readFileSync(join(goldenDir, `${name}.json`), 'utf8')) as Record<string, unknown>;
        const actual = (await runStream(make(), engineCore, sinkKind)) as Record<string, unknown>;
        checkRootSeen(actual);
        actual.searches = withoutRootSeen(actual.searches as Searches);
        // Section by section, so a difference names what differs.
        for (const key of Object.keys(golden)) expect(actual[key], key).toEqual(golden[key]);
        expect(Object.keys(actual).sort()).toEqual(Object.keys(golden).sort());
      },
    );
  }
});

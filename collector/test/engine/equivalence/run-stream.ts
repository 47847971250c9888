/**
 * Runs a stream through a core (something that ingests datagram bytes and assembles spans) with
 * the collector's real store, aggregates and read path, and returns everything a user sees:
 * the emitted span batches in order, every trace as `GET /api/traces/:id` shows it, searches,
 * aggregates over each window, the dependency graph, the services, per-client loss and the
 * ingest counters. Time is a fake clock, so two runs of one stream are comparable byte for byte.
 */
import type { Batch, DatagramRejection } from '@phosphor/wire';
import { Aggregates } from '../../../src/aggregates/aggregates.js';
import type { EmitReason, SpanBatchSink, SpanSink } from '../../../src/assembly/span-sink.js';
import { TraceQueryService } from '../../../src/assembly/trace-query-service.js';
import type { Span } from '../../../src/model/span.js';
import { ClientLossTracker } from '../../../src/receivers/udp/client-loss.js';
import { MemoryStore } from '../../../src/storage/memory/memory-store.js';
import type { Step } from './streams.js';

/** What a core returns for one datagram. */
export interface CoreOutcome {
  ok: boolean;
  reason?: DatagramRejection;
  acceptedEvents: number;
  invalidEvents: number;
  header?: Batch;
}

/** A core under test: built with a clock and a sink. */
export interface Core {
  ingest(bytes: Buffer): CoreOutcome;
  sweep(): void;
  flushAll(): void;
  pendingSpansOf(traceId: string): Span[];
  stats(): Record<string, number>;
}

export type CoreFactory = (
  options: {
    spanTimeoutMillis: number;
    maxPendingSpans: number;
    skewCorrection: boolean;
    lateWindowMillis: number;
    maxRememberedSpans: number;
    now: () => number;
  },
  sink: SpanSink | SpanBatchSink,
) => Core;

/**
 * How the core hands spans to the store and the aggregates: as Span objects (`spans`, a function
 * sink) or as columns (`batch`, the collector's own path: `writeBatch`, `consumeBatch`).
 */
export type SinkKind = 'spans' | 'batch';

/** Small caps so eviction and forgetting happen in the streams too. */
export const CORE_OPTIONS = {
  spanTimeoutMillis: 5000,
  maxPendingSpans: 300,
  skewCorrection: true,
  lateWindowMillis: 60_000,
  maxRememberedSpans: 500,
};

const ASSEMBLY_COUNTERS = [
  'receivedEvents',
  'duplicateEvents',
  'lateEvents',
  'completeSpans',
  'partialSpans',
  'timedOutSpans',
  'evictedPendingSpans',
  'updatedSpans',
  'pendingSpans',
  'rememberedSpans',
];

export async function runStream(steps: Step[], makeCore: CoreFactory, sinkKind: SinkKind = 'spans'): Promise<unknown> {
  let nowMillis = 1_000_000;
  const wallMillis = () => 1_700_000_000_000 + nowMillis;
  const store = new MemoryStore({ maxSpans: 100_000 });
  const aggregates = new Aggregates({ windowsMinutes: [1, 5, 15], bucketSeconds: 10, maxKeys: 2000, now: wallMillis });
  const emitted: { reason: EmitReason; spans: Span[] }[] = [];
  const sink: SpanSink | SpanBatchSink =
    sinkKind === 'spans'
      ? (spans, reason) => {
          emitted.push({ reason, spans: JSON.parse(JSON.stringify(spans)) });
          store.write(spans);
          aggregates.consume(spans, reason);
        }
      : {
          consumeBatch(batch, reason) {
            emitted.push({ reason, spans: JSON.parse(JSON.stringify(batch.spans())) });
            store.writeBatch(batch);
            aggregates.consumeBatch(batch, reason);
          },
        };
  const core = makeCore({ ...CORE_OPTIONS, now: () => nowMillis }, sink);
  const clients = new ClientLossTracker(100);
  const ingest = { accepted: 0, acceptedEvents: 0, invalidEvents: 0, rejected: {} as Record<string, number> };
  const pendingReads: unknown[] = [];
  const traceIds = new Set<string>();
  for (const step of steps) {
    if (step.kind === 'datagram') {
      const outcome = core.ingest(step.bytes);
      if (!outcome.ok) {
        const reason = outcome.reason as string;
        ingest.rejected[reason] = (ingest.rejected[reason] ?? 0) + 1;
        continue;
      }
      ingest.accepted++;
      ingest.acceptedEvents += outcome.acceptedEvents;
      ingest.invalidEvents += outcome.invalidEvents;
      clients.observe(outcome.header as Batch, wallMillis());
    } else if (step.kind === 'advance') {
      nowMillis += step.millis;
      core.sweep();
    } else {
      pendingReads.push(JSON.parse(JSON.stringify(core.pendingSpansOf(step.traceId))));
    }
  }
  const beforeFlush = core.stats();
  for (const batch of emitted) for (const span of batch.spans) traceIds.add(span.traceId);
  const queries = new TraceQueryService(store, core, true);
  const traces: unknown[] = [];
  for (const traceId of [...traceIds].sort()) traces.push(await queries.getTrace(traceId));
  const searches = {
    all: await queries.findTraces({ limit: 1000 }),
    errors: await queries.findTraces({ limit: 50, error: true }),
    quoteSlow: await queries.findTraces({ limit: 50, service: 'quote', minDurationMicros: 500 }),
    tagged: await queries.findTraces({ limit: 50, tags: { user: '3' } }),
  };
  core.flushAll();
  const assembly = Object.fromEntries(ASSEMBLY_COUNTERS.map((k) => [k, beforeFlush[k]]));
  return JSON.parse(
    JSON.stringify({
      ingest,
      assembly,
      clients: clients.clientsLoss().map(({ lastSeenMillis: _, ...rest }) => rest),
      emitted,
      pendingReads,
      traces,
      searches,
      aggregates: [1, 5, 15].map((m) => aggregates.snapshot(m)),
      dependencies: aggregates.dependencies(),
      services: aggregates.services(),
      storeStats: store.stats(),
      afterFlush: { emittedBatches: emitted.length },
    }),
  );
}

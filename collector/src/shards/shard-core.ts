import type { TraceEvent } from '@phosphor/wire';
import type { DependencyGraph, MergeableAggregates, ServiceInfo } from '../aggregates/aggregate-views.js';
import type { Span, TraceQuery, TraceSummary } from '../model/span.js';
import type { ComponentHealth } from '../storage/span-store.js';

/*
 * The narrow interface between a shard's worker thread and the collector core it hosts. The
 * worker (shard-worker.ts) only moves bytes and calls in and results out; everything a core
 * does — decoding, span assembly, skew, aggregates, storage — sits behind this interface. Today's
 * core (CollectorEngine + Aggregates + a SpanStore) implements it in engine-shard-core.ts; another
 * core implements these methods and is named in shard-worker.ts, nothing else changes. Every
 * argument and result is plain data (structured-clone safe), since it crosses threads.
 */

/** Event counters of one shard: every event is decoded, validated and counted in its owner only. */
export interface ShardIngestStats {
  /** Valid events taken into assembly. */
  acceptedEvents: number;
  /** Events that failed validation (unknown type, missing ids, over-long fields …). */
  invalidEvents: number;
  /**
   * Hand-off buffers the core could not decode. The receiving side checks every datagram with
   * the decoder's rules before routing, so this stays 0; it is counted, not assumed.
   */
  undecodableForwards: number;
}

/** What `stats()` of a core returns (summed over shards by the host). */
export interface ShardCoreStats {
  ingest: ShardIngestStats;
  /** SpanAssembler counters (AssemblerStats). */
  assembly: Record<string, number>;
  /** Store name and counters. */
  storage: { name: string } & Record<string, number | string>;
  aggregates: Record<string, number>;
  /** SpanFanOut counters: sinkErrors and consumerErrors per consumer. */
  pipeline: { sinkErrors: number; consumerErrors: Record<string, number> };
  /** OTLP span exporter counters (OtlpExporterStats), when `otlpExport.enabled`. */
  otlpExport?: Record<string, number | Record<string, number>>;
}

/** A trace's spans as one shard has them: stored, and still waiting for events. */
export interface ShardTrace {
  stored: Span[];
  pending: Span[];
}

/** One collector core, hosted by a shard worker. */
export interface ShardCore {
  /**
   * Takes a datagram of this shard's events: the 4-byte wire header and event frames only (see
   * ShardOutbox). The bytes are valid only during the call (the caller reuses them): what the
   * core keeps, it copies. Counts invalid events; never throws.
   */
  ingest(datagram: Uint8Array): void;
  /**
   * Takes events already decoded and validated elsewhere (OTLP spans mapped on the main thread),
   * all of traces this shard owns; as the single core's `ingestEvents`, they are not counted as
   * datagram events. Never throws.
   */
  ingestEvents(events: readonly TraceEvent[]): void;
  /** Stored and pending spans of a trace this shard owns. */
  getTrace(traceId: string): Promise<ShardTrace>;
  /** This shard's traces matching the query, newest first, at most `query.limit`. */
  findTraces(query: TraceQuery): Promise<TraceSummary[]>;
  /** Unreduced window aggregates (histograms included) for exact merging; undefined for an unknown window. */
  aggregatesParts(windowMinutes: number): MergeableAggregates | undefined;
  dependencies(): DependencyGraph;
  services(): ServiceInfo[];
  /** Finished spans (and late updates) go to `listener` while one is set: the live tail. */
  setTailListener(listener: ((spans: Span[]) => void) | undefined): void;
  stats(): ShardCoreStats;
  /** Health of the core's components (assembly, store), Flaki format. */
  health(): Promise<Record<string, ComponentHealth>>;
  /** Starts timers (span timeout sweep, aggregate pruning). */
  start(): void;
  /** Emits every pending span (as partial) to the store and closes it. Safe to call twice. */
  close(): Promise<void>;
}

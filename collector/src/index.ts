/** Public API of the collector package: build an in-process collector (system tests) or read its types. */

export type {
  AggregatesSnapshot,
  DependencyGraph,
  EdgeStats,
  EndpointStats,
  HostStats,
  MergeableAggregates,
  MergeableWindow,
  ServiceInfo,
} from './aggregates/aggregate-views.js';
export { mergeAggregateSnapshots } from './aggregates/mergeable-snapshot.js';
export type { WindowStats } from './aggregates/rolling-histogram.js';
export type { BuildCollectorOptions, Collector, CollectorAddresses } from './app.js';
export { buildCollector } from './app.js';
export { adjustTraceSkew } from './assembly/skew.js';
export type { AssemblerStats, EmitReason, SpanAssemblerOptions, SpanSink } from './assembly/span-sink.js';
export type { PendingSpanSource, TraceQueries, TraceView } from './assembly/trace-query-service.js';
export { mergeTrace, TraceQueryService } from './assembly/trace-query-service.js';
export type * from './config/config.js';
export type { LoadConfigOptions } from './config/load-config.js';
export { ENV_OVERRIDES, loadConfig } from './config/load-config.js';
export type { CollectorEngineOptions, EngineStats } from './engine/collector-engine.js';
export { CollectorEngine } from './engine/collector-engine.js';
export type { DatagramOutcome } from './engine/datagram-decoder.js';
export type { ErrorCode } from './errors.js';
export { CollectorError, ERROR_CODES } from './errors.js';
export type * from './model/span.js';
export { ComponentRegistry } from './pipeline/component-registry.js';
export type { PipelineComponent, SpanConsumer } from './pipeline/pipeline-component.js';
export { SpanFanOut } from './pipeline/span-fan-out.js';
export { StoreConsumer } from './pipeline/store-consumer.js';
export type { ShardCore } from './shards/shard-core.js';
export type { ShardedCollector } from './shards/sharded-collector.js';
export { buildShardedCollector } from './shards/sharded-collector.js';
export { MemoryStore } from './storage/memory/memory-store.js';
export type * from './storage/span-store.js';
export { spanMatches, summarizeTrace, traceMatches } from './storage/trace-query.js';

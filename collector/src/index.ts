/** Public API of the collector package: build an in-process collector (system tests) or read its types. */
export { buildCollector } from './app.js';
export type { BuildCollectorOptions, Collector, CollectorAddresses } from './app.js';
export { loadConfig, ENV_OVERRIDES } from './config/load-config.js';
export type { LoadConfigOptions } from './config/load-config.js';
export type * from './config/config.js';
export { CollectorError, ERROR_CODES } from './errors.js';
export type { ErrorCode } from './errors.js';
export type * from './model/span.js';
export type * from './storage/span-store.js';
export { MemoryStore } from './storage/memory/memory-store.js';
export { summarizeTrace, traceMatches, spanMatches } from './storage/trace-query.js';
export { adjustTraceSkew } from './assembly/skew.js';
export type {
  AggregatesSnapshot,
  DependencyGraph,
  EdgeStats,
  EndpointStats,
  HostStats,
  ServiceInfo,
} from './aggregates/aggregates.js';
export type { WindowStats } from './aggregates/rolling-histogram.js';

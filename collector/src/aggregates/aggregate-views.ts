/**
 * What the aggregates are read as: the API's snapshots (percentiles per window), the dependency
 * graph and service catalogue, and the mergeable form several collectors or shards sum exactly.
 */
import type { WindowStats } from './rolling-histogram.js';

/** Per callee service+endpoint, server side (IN→OUT). */
export interface EndpointStats extends WindowStats {
  service: string;
  endpoint: string;
}
/** Per caller→callee edge, client side (REQ→REP). */
export interface EdgeStats extends WindowStats {
  from: string;
  to: string;
}
/** Per server host, server side (IN→OUT). */
export interface HostStats extends WindowStats {
  host: string;
}

/** Response of `GET /api/aggregates?window=`. */
export interface AggregatesSnapshot {
  /** Window label, e.g. "5m". */
  window: string;
  windowSeconds: number;
  /** When the snapshot was taken, µs since the epoch. */
  generatedAtMicros: number;
  endpoints: EndpointStats[];
  edges: EdgeStats[];
  hosts: HostStats[];
}

/** Response of `GET /api/dependencies`: cumulative since the collector started. */
export interface DependencyGraph {
  /** Every service seen; `calls`/`errors` count the spans it served. */
  nodes: { service: string; calls: number; errors: number }[];
  /** Every caller→callee pair seen. */
  edges: { from: string; to: string; calls: number; errors: number }[];
}

/** Every window of one process in mergeable form: what an assembler publishes for cluster views. */
export interface ExportedAggregates {
  /** How long this process has been aggregating (shortens rates while a window is not full). */
  elapsedMillis: number;
  /** One mergeable snapshot per configured window. */
  windows: MergeableAggregates[];
  dependencies: DependencyGraph;
  services: ServiceInfo[];
}

/** Response of `GET /api/services`. */
export interface ServiceInfo {
  service: string;
  /** Endpoints seen on this service (served, or calling out from), sorted. */
  endpoints: string[];
}

/** One row's window as mergeable parts. */
export interface MergeableWindow {
  count: number;
  errors: number;
  maxMicros: number;
  /** HDR histogram of the window's latencies, compressed base64 ('' when empty). */
  histogram: string;
}

/** `Aggregates.mergeableSnapshot(minutes)`: like AggregatesSnapshot, rows as mergeable parts. */
export interface MergeableAggregates {
  window: string;
  windowSeconds: number;
  /** Time since that collector started: while shorter than the window, rates divide by it. */
  elapsedMillis: number;
  generatedAtMicros: number;
  endpoints: ({ service: string; endpoint: string } & MergeableWindow)[];
  edges: ({ from: string; to: string } & MergeableWindow)[];
  hosts: ({ host: string } & MergeableWindow)[];
}

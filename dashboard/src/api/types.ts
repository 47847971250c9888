/**
 * Shapes of the collector's HTTP API as the dashboard reads them. Span, TraceSummary and the
 * query come from the collector's own model, so a change there fails the dashboard's type check.
 */
import type { Span, TraceSummary } from '@phosphor/collector';

export type { HopTimes, Span, TraceSummary } from '@phosphor/collector';
export type EventType = 'REQ' | 'IN' | 'OUT' | 'REP';

/** Event types in hop order. */
export const EVENT_TYPES: readonly EventType[] = ['REQ', 'IN', 'OUT', 'REP'];

/** What the search form sends; durations in microseconds like the API. */
export interface SearchParams {
  service?: string;
  endpoint?: string;
  minDurationMicros?: number;
  maxDurationMicros?: number;
  errorsOnly?: boolean;
  tags?: Record<string, string>;
  sinceMicros?: number;
  untilMicros?: number;
  limit: number;
}

/** A service and its endpoints (`GET /api/services`). */
export interface ServiceInfo {
  service: string;
  endpoints: string[];
}

/** An aggregation window label such as "5m"; the collector lists its own in `GET /api/config`. */
export type AggregateWindow = string;
/** Windows offered when the collector's config does not list them. */
export const AGGREGATE_WINDOWS: readonly AggregateWindow[] = ['1m', '5m', '15m'];

/** Rolling-window statistics (collector/src/aggregates/rolling-histogram.ts `WindowStats`). */
export interface WindowStats {
  count: number;
  /** Requests per second over the window. */
  ratePerSecond: number;
  errors: number;
  p50Micros: number;
  p95Micros: number;
  p99Micros: number;
  maxMicros: number;
}

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

/** Per server host. */
export interface HostStats extends WindowStats {
  host: string;
}

/** `GET /api/aggregates?window=…`. */
export interface AggregatesSnapshot {
  window: string;
  windowSeconds: number;
  generatedAtMicros: number;
  endpoints: EndpointStats[];
  edges: EdgeStats[];
  hosts: HostStats[];
}

/** A node of the dependency graph: a service and the spans it served. */
export interface DependencyNode {
  service: string;
  calls: number;
  errors: number;
}

/** A caller → callee edge with its call and error counts. */
export interface DependencyEdge {
  from: string;
  to: string;
  calls: number;
  errors: number;
}

/** `GET /api/dependencies`: cumulative since the collector started. */
export interface DependencyGraph {
  nodes: DependencyNode[];
  edges: DependencyEdge[];
}

/** Dashboard settings served by the collector (`GET /api/config`). */
export interface DashboardConfig {
  /** Base URL of Kibana, e.g. `http://127.0.0.1:5601`; absent when not configured. */
  kibanaUrl?: string;
  /** Elasticsearch index pattern / data view id Discover should open. */
  kibanaIndexPattern?: string;
  /** Aggregate windows the collector keeps (e.g. ["1m", "5m", "15m"]). */
  windows?: string[];
}

/** A whole trace as the timeline uses it. */
export interface TraceData {
  traceId: string;
  spans: Span[];
}

export type { TraceSummary as TraceRow };
export type TraceSummaryList = TraceSummary[];

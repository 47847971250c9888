/**
 * Shapes of the collector's HTTP API as the dashboard reads them. Spans, trace summaries, services,
 * aggregates and the dependency graph are the collector's own types, so a change there fails the
 * dashboard's type check.
 */
import type { DependencyGraph, Span, TraceSummary } from '@phosphor/collector';

export type {
  AggregatesSnapshot,
  DependencyGraph,
  EdgeStats,
  EndpointStats,
  HopTimes,
  HostStats,
  ServiceInfo,
  Span,
  TraceSummary,
  WindowStats,
} from '@phosphor/collector';
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

/** An aggregation window label such as "5m"; the collector lists its own in `GET /api/config`. */
export type AggregateWindow = string;
/** Windows offered when the collector's config does not list them. */
export const AGGREGATE_WINDOWS: readonly AggregateWindow[] = ['1m', '5m', '15m'];

/** A node of the dependency graph: a service and the spans it served. */
export type DependencyNode = DependencyGraph['nodes'][number];
/** A caller → callee edge with its call and error counts. */
export type DependencyEdge = DependencyGraph['edges'][number];

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

import { decodeFromCompressedBase64, type Histogram } from 'hdr-histogram-js';
import type {
  AggregatesSnapshot,
  DependencyGraph,
  EdgeStats,
  EndpointStats,
  ExportedAggregates,
  HostStats,
  ServiceInfo,
} from './aggregates.js';
import { type ExportedWindow, newWindowHistogram, type WindowStats } from './rolling-histogram.js';

/**
 * Merges the exported aggregates of several processes (the assemblers of a cluster) into the same
 * shapes the API serves for one process. Counts and errors add up, max is the max, and percentiles
 * come from the SUM of the HDR histograms — exact, never an average of percentiles.
 */
export function mergeWindow(parts: readonly ExportedAggregates[], windowMinutes: number): AggregatesSnapshot {
  const windowMillis = windowMinutes * 60_000;
  const elapsed = Math.max(0, ...parts.map((p) => p.elapsedMillis));
  const seconds = Math.max(1, Math.min(windowMillis, elapsed)) / 1000;
  const endpoints = new Map<string, { labels: { service: string; endpoint: string }; rows: ExportedWindow[] }>();
  const edges = new Map<string, { labels: { from: string; to: string }; rows: ExportedWindow[] }>();
  const hosts = new Map<string, { labels: { host: string }; rows: ExportedWindow[] }>();
  for (const part of parts) {
    const window = part.windows.find((w) => w.windowMinutes === windowMinutes);
    if (!window) continue;
    for (const { service, endpoint, ...row } of window.endpoints)
      group(endpoints, `${service}\u0000${endpoint}`, { service, endpoint }, row);
    for (const { from, to, ...row } of window.edges) group(edges, `${from}\u0000${to}`, { from, to }, row);
    for (const { host, ...row } of window.hosts) group(hosts, host, { host }, row);
  }
  const finish = <T>(map: Map<string, { labels: T; rows: ExportedWindow[] }>): (T & WindowStats)[] =>
    [...map.values()]
      .map(({ labels, rows }) => ({ ...labels, ...mergeRows(rows, seconds) }))
      .sort((a, b) => b.count - a.count);
  return {
    window: `${windowMinutes}m`,
    windowSeconds: windowMinutes * 60,
    generatedAtMicros: Date.now() * 1000,
    endpoints: finish(endpoints) as EndpointStats[],
    edges: finish(edges) as EdgeStats[],
    hosts: finish(hosts) as HostStats[],
  };
}

/** Sums the cumulative dependency graphs. */
export function mergeDependencies(parts: readonly ExportedAggregates[]): DependencyGraph {
  const nodes = new Map<string, { service: string; calls: number; errors: number }>();
  const edges = new Map<string, { from: string; to: string; calls: number; errors: number }>();
  for (const part of parts) {
    for (const n of part.dependencies.nodes) {
      const node = nodes.get(n.service) ?? { service: n.service, calls: 0, errors: 0 };
      node.calls += n.calls;
      node.errors += n.errors;
      nodes.set(n.service, node);
    }
    for (const e of part.dependencies.edges) {
      const key = `${e.from}\u0000${e.to}`;
      const edge = edges.get(key) ?? { from: e.from, to: e.to, calls: 0, errors: 0 };
      edge.calls += e.calls;
      edge.errors += e.errors;
      edges.set(key, edge);
    }
  }
  return {
    nodes: [...nodes.values()].sort((a, b) => a.service.localeCompare(b.service)),
    edges: [...edges.values()].sort((a, b) => b.calls - a.calls),
  };
}

/** The union of the service catalogs. */
export function mergeServices(parts: readonly ExportedAggregates[]): ServiceInfo[] {
  const catalog = new Map<string, Set<string>>();
  for (const part of parts) {
    for (const s of part.services) {
      const set = catalog.get(s.service) ?? new Set<string>();
      for (const e of s.endpoints) set.add(e);
      catalog.set(s.service, set);
    }
  }
  return [...catalog.entries()]
    .map(([service, endpoints]) => ({ service, endpoints: [...endpoints].sort() }))
    .sort((a, b) => a.service.localeCompare(b.service));
}

function group<T>(
  map: Map<string, { labels: T; rows: ExportedWindow[] }>,
  key: string,
  labels: T,
  row: ExportedWindow,
) {
  const entry = map.get(key);
  if (entry) entry.rows.push(row);
  else map.set(key, { labels, rows: [row] });
}

function mergeRows(rows: readonly ExportedWindow[], seconds: number): WindowStats {
  let count = 0;
  let errors = 0;
  let max = 0;
  const merged: Histogram = newWindowHistogram();
  for (const row of rows) {
    count += row.count;
    errors += row.errors;
    if (row.maxMicros > max) max = row.maxMicros;
    const part = decodeFromCompressedBase64(row.histogram, 'packed');
    merged.add(part);
    part.destroy();
  }
  const stats: WindowStats = {
    count,
    ratePerSecond: count / seconds,
    errors,
    p50Micros: count > 0 ? merged.getValueAtPercentile(50) : 0,
    p95Micros: count > 0 ? merged.getValueAtPercentile(95) : 0,
    p99Micros: count > 0 ? merged.getValueAtPercentile(99) : 0,
    maxMicros: max,
  };
  merged.destroy();
  return stats;
}

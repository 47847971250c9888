import { decodeFromCompressedBase64, type Histogram } from 'hdr-histogram-js';
import type {
  AggregatesParts,
  AggregatesSnapshot,
  DependencyGraph,
  KeyWindowParts,
  ServiceInfo,
} from '../aggregates/aggregates.js';
import { newHistogram, type WindowStats, windowStatsOf } from '../aggregates/rolling-histogram.js';

/** When the merged window is taken and how long the collector has run (the rate's denominator). */
export interface MergeClock {
  nowMillis: number;
  elapsedMillis: number;
}

/**
 * One collector's aggregates from its shards' parts: per key, counts and errors are summed, the
 * max is the max, and the HDR histograms are added before any percentile is read — the same
 * figures one shard would give had it seen every span (percentiles of shards are never averaged).
 */
export function mergeAggregatesParts(parts: readonly AggregatesParts[], clock: MergeClock): AggregatesSnapshot {
  const windowMinutes = parts[0]?.windowMinutes ?? 0;
  const windowMillis = windowMinutes * 60_000;
  const merge = <T extends object>(rows: KeyWindowParts<T>[][]) => {
    const byKey = new Map<
      string,
      { labels: T; count: number; errors: number; max: number; h: Histogram | undefined }
    >();
    for (const shardRows of rows) {
      for (const row of shardRows) {
        const key = JSON.stringify(Object.values(row.labels));
        let merged = byKey.get(key);
        if (!merged) {
          merged = { labels: row.labels, count: 0, errors: 0, max: 0, h: undefined };
          byKey.set(key, merged);
        }
        merged.count += row.count;
        merged.errors += row.errors;
        if (row.maxMicros > merged.max) merged.max = row.maxMicros;
        if (row.histogram) {
          const decoded = decodeFromCompressedBase64(row.histogram, 'packed');
          merged.h ??= newHistogram();
          merged.h.add(decoded);
          decoded.destroy();
        }
      }
    }
    const out: (T & WindowStats)[] = [];
    for (const m of byKey.values()) {
      const stats = windowStatsOf(
        { count: m.count, errors: m.errors, maxMicros: m.max, histogram: m.h },
        windowMillis,
        clock.elapsedMillis,
      );
      m.h?.destroy();
      out.push({ ...m.labels, ...stats });
    }
    return out.sort((a, b) => b.count - a.count);
  };
  return {
    window: `${windowMinutes}m`,
    windowSeconds: windowMinutes * 60,
    generatedAtMicros: clock.nowMillis * 1000,
    endpoints: merge(parts.map((p) => p.endpoints)),
    edges: merge(parts.map((p) => p.edges)),
    hosts: merge(parts.map((p) => p.hosts)),
  };
}

/** One dependency graph from the shards' graphs: calls and errors summed per node and edge. */
export function mergeDependencies(graphs: readonly DependencyGraph[]): DependencyGraph {
  const nodes = new Map<string, DependencyGraph['nodes'][number]>();
  const edges = new Map<string, DependencyGraph['edges'][number]>();
  for (const graph of graphs) {
    for (const n of graph.nodes) {
      const node = nodes.get(n.service);
      if (node) {
        node.calls += n.calls;
        node.errors += n.errors;
      } else nodes.set(n.service, { ...n });
    }
    for (const e of graph.edges) {
      const key = JSON.stringify([e.from, e.to]);
      const edge = edges.get(key);
      if (edge) {
        edge.calls += e.calls;
        edge.errors += e.errors;
      } else edges.set(key, { ...e });
    }
  }
  return {
    nodes: [...nodes.values()].sort((a, b) => a.service.localeCompare(b.service)),
    edges: [...edges.values()].sort((a, b) => b.calls - a.calls),
  };
}

/** One service catalog from the shards' catalogs: the union of endpoints per service, sorted. */
export function mergeServices(lists: readonly ServiceInfo[][]): ServiceInfo[] {
  const services = new Map<string, Set<string>>();
  for (const list of lists) {
    for (const s of list) {
      let endpoints = services.get(s.service);
      if (!endpoints) {
        endpoints = new Set();
        services.set(s.service, endpoints);
      }
      for (const e of s.endpoints) endpoints.add(e);
    }
  }
  return [...services.entries()]
    .map(([service, endpoints]) => ({ service, endpoints: [...endpoints].sort() }))
    .sort((a, b) => a.service.localeCompare(b.service));
}

import type {
  AggregatesSnapshot,
  DependencyGraph,
  ExportedAggregates,
  MergeableAggregates,
  ServiceInfo,
} from './aggregate-views.js';
import { mergeAggregateSnapshots } from './mergeable-snapshot.js';

/**
 * Merges the exports of several processes (the assemblers of a cluster) into the shapes the API
 * serves for one process: windows through {@link mergeAggregateSnapshots} (histograms summed,
 * never percentiles averaged), the cumulative dependency graphs summed, the catalogs united.
 */
export function mergeWindow(parts: readonly ExportedAggregates[], windowMinutes: number): AggregatesSnapshot {
  const label = `${windowMinutes}m`;
  const windows = parts
    .map((p) => p.windows.find((w) => w.window === label))
    .filter((w): w is MergeableAggregates => w !== undefined);
  return (
    mergeAggregateSnapshots(windows) ?? {
      window: label,
      windowSeconds: windowMinutes * 60,
      generatedAtMicros: Date.now() * 1000,
      endpoints: [],
      edges: [],
      hosts: [],
    }
  );
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

import type { DependencyGraph, ServiceInfo } from '../aggregates/aggregate-views.js';

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

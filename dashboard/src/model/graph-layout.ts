/**
 * A simple layered (Sugiyama-style) layout for the service dependency graph: callers left,
 * callees right. Cycles are broken by ignoring DFS back edges when layering; each node goes to
 * the layer after its deepest caller; within a layer, nodes are ordered by the mean position of
 * their callers (barycentre), which removes most crossings for service graphs. An edge that skips
 * layers (gateway → database past the services between) would cross the boxes of the layers it
 * skips, hiding behind them with its label on another edge's; it gets a lane of its own below the
 * rows instead.
 */
import type { DependencyGraph } from '../api/types.js';

export interface NodePosition {
  id: string;
  layer: number;
  x: number;
  y: number;
}

export interface GraphLayout {
  nodes: NodePosition[];
  byId: ReadonlyMap<string, NodePosition>;
  width: number;
  height: number;
  /** Edges that point back to an earlier or the same layer (cycles, self calls). */
  backEdges: ReadonlySet<string>;
  /** Forward edges that skip at least one layer, by key: the y of the lane each runs along, below every row. */
  lanes: ReadonlyMap<string, number>;
}

/** Spacing in CSS pixels; node boxes are drawn NODE_WIDTH wide (names are truncated to fit). */
export const LAYOUT = {
  NODE_WIDTH: 180,
  NODE_HEIGHT: 36,
  LAYER_GAP: 90,
  ROW_GAP: 24,
  MARGIN: 20,
  LANE_GAP: 22,
} as const;

/** Key of an edge in {@link GraphLayout.backEdges}. */
export function edgeKey(from: string, to: string): string {
  return `${from}\u0000${to}`;
}

/** Lays out the graph; deterministic for a given input. */
export function layoutGraph(graph: DependencyGraph): GraphLayout {
  const ids = [...new Set(graph.nodes.map((n) => n.service))].sort();
  const out = new Map<string, string[]>();
  const incoming = new Map<string, string[]>();
  for (const id of ids) {
    out.set(id, []);
    incoming.set(id, []);
  }
  for (const e of graph.edges) {
    if (!out.has(e.from) || !out.has(e.to)) continue;
    out.get(e.from)!.push(e.to);
  }

  // Find back edges with an iterative DFS (colour marking), starting from sources first.
  const state = new Map<string, 0 | 1 | 2>();
  const backEdges = new Set<string>();
  const hasCaller = new Set(graph.edges.filter((e) => e.from !== e.to).map((e) => e.to));
  const starts = [...ids.filter((id) => !hasCaller.has(id)), ...ids];
  for (const start of starts) {
    if (state.get(start)) continue;
    const stack: Array<[string, number]> = [[start, 0]];
    state.set(start, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [node, i] = top;
      const targets = out.get(node)!;
      if (i >= targets.length) {
        state.set(node, 2);
        stack.pop();
        continue;
      }
      top[1] = i + 1;
      const next = targets[i]!;
      const s = state.get(next) ?? 0;
      if (s === 1) backEdges.add(edgeKey(node, next));
      else if (s === 0) {
        state.set(next, 1);
        stack.push([next, 0]);
      }
    }
  }
  for (const e of graph.edges) {
    if (out.has(e.from) && out.has(e.to) && !backEdges.has(edgeKey(e.from, e.to))) incoming.get(e.to)!.push(e.from);
  }

  // Longest-path layering over the acyclic part (Kahn's order).
  const layer = new Map<string, number>(ids.map((id) => [id, 0]));
  const indegree = new Map<string, number>(ids.map((id) => [id, incoming.get(id)!.length]));
  const queue = ids.filter((id) => indegree.get(id) === 0);
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const next of out.get(node)!) {
      if (backEdges.has(edgeKey(node, next))) continue;
      layer.set(next, Math.max(layer.get(next)!, layer.get(node)! + 1));
      indegree.set(next, indegree.get(next)! - 1);
      if (indegree.get(next) === 0) queue.push(next);
    }
  }

  // Layers are dense: longest-path layering gives every layer below the maximum at least one node.
  const layerCount = ids.length === 0 ? 0 : Math.max(...ids.map((id) => layer.get(id)!)) + 1;
  const layers: string[][] = Array.from({ length: layerCount }, () => []);
  for (const id of ids) layers[layer.get(id)!]!.push(id);
  const rowOf = new Map<string, number>();
  for (const list of layers) {
    for (let i = 0; i < list.length; i++) rowOf.set(list[i]!, i);
  }
  for (let l = 1; l < layers.length; l++) {
    const list = layers[l]!;
    const bary = (id: string) => {
      const callers = incoming.get(id)!;
      return callers.length === 0
        ? rowOf.get(id)!
        : callers.reduce((sum, c) => sum + rowOf.get(c)!, 0) / callers.length;
    };
    list.sort((a, b) => bary(a) - bary(b) || a.localeCompare(b));
    for (let i = 0; i < list.length; i++) rowOf.set(list[i]!, i);
  }

  const nodes: NodePosition[] = [];
  let maxRows = 0;
  for (let l = 0; l < layers.length; l++) {
    const list = layers[l]!;
    maxRows = Math.max(maxRows, list.length);
    for (let row = 0; row < list.length; row++) {
      nodes.push({
        id: list[row]!,
        layer: l,
        x: LAYOUT.MARGIN + l * (LAYOUT.NODE_WIDTH + LAYOUT.LAYER_GAP),
        y: LAYOUT.MARGIN + row * (LAYOUT.NODE_HEIGHT + LAYOUT.ROW_GAP),
      });
    }
  }
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const rowsBottom = LAYOUT.MARGIN + Math.max(1, maxRows) * (LAYOUT.NODE_HEIGHT + LAYOUT.ROW_GAP) - LAYOUT.ROW_GAP;
  // One lane per layer-skipping edge; shorter edges nearer the boxes, so lanes nest instead of
  // crossing; ties by key, so the same graph always draws the same way.
  const lanes = new Map<string, number>();
  const skipping: { key: string; span: number }[] = [];
  for (const e of graph.edges) {
    const a = byId.get(e.from);
    const b = byId.get(e.to);
    const key = edgeKey(e.from, e.to);
    if (a === undefined || b === undefined || backEdges.has(key) || b.layer - a.layer < 2) continue;
    skipping.push({ key, span: b.layer - a.layer });
  }
  skipping.sort((x, y) => x.span - y.span || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  for (const { key } of skipping) if (!lanes.has(key)) lanes.set(key, rowsBottom + LAYOUT.LANE_GAP * (lanes.size + 1));
  return {
    nodes,
    byId,
    width: LAYOUT.MARGIN * 2 + Math.max(1, layers.length) * (LAYOUT.NODE_WIDTH + LAYOUT.LAYER_GAP) - LAYOUT.LAYER_GAP,
    height: rowsBottom + LAYOUT.LANE_GAP * lanes.size + LAYOUT.MARGIN,
    backEdges,
    lanes,
  };
}

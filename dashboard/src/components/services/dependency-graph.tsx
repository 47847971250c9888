/**
 * The dependency graph as SVG: services as boxes in layers (callers left of callees), edges
 * labelled with call and error counts (an edge skipping layers runs along its own lane below the
 * boxes); edges with errors are drawn red. Names are SVG text
 * (never markup) and truncated to the box with the full name in a <title>.
 */
import type { DependencyGraph } from '../../api/types.js';
import { edgeKey, LAYOUT, layoutGraph } from '../../model/graph-layout.js';
import { serviceColour } from '../../model/service-colour.js';

/** Characters that fit in a NODE_WIDTH box at 12px. */
const MAX_LABEL_CHARS = 24;

function truncate(text: string): string {
  return text.length > MAX_LABEL_CHARS ? `${text.slice(0, MAX_LABEL_CHARS - 1)}…` : text;
}

export function DependencyGraphView({ graph }: { graph: DependencyGraph }) {
  const layout = layoutGraph(graph);
  const stats = new Map(graph.nodes.map((n) => [n.service, n]));
  return (
    <svg
      className="dependency-graph"
      width={layout.width}
      height={layout.height}
      viewBox={`0 0 ${layout.width} ${layout.height}`}
      role="img"
      aria-label={`Dependency graph: ${graph.nodes.length} services, ${graph.edges.length} edges`}
    >
      <defs>
        <marker
          id="arrow"
          viewBox="0 0 10 10"
          refX="10"
          refY="5"
          markerWidth="6"
          markerHeight="6"
          orient="auto-start-reverse"
        >
          <path className="arrow-head" d="M 0 0 L 10 5 L 0 10 z" />
        </marker>
      </defs>
      {graph.edges.map((e) => {
        const a = layout.byId.get(e.from);
        const b = layout.byId.get(e.to);
        if (!a || !b) return null;
        const back = layout.backEdges.has(edgeKey(e.from, e.to)) || b.layer <= a.layer;
        const x1 = a.x + LAYOUT.NODE_WIDTH;
        const y1 = a.y + LAYOUT.NODE_HEIGHT / 2;
        const x2 = back ? b.x + LAYOUT.NODE_WIDTH / 2 : b.x;
        const y2 = back ? b.y : b.y + LAYOUT.NODE_HEIGHT / 2;
        const mid = (x1 + x2) / 2;
        const lane = layout.lanes.get(edgeKey(e.from, e.to));
        const d =
          e.from === e.to
            ? `M ${x1} ${y1} c 30 -30 30 30 0 10`
            : back
              ? `M ${x1} ${y1} C ${x1 + 60} ${y1 - 60}, ${x2} ${y2 - 60}, ${x2} ${y2}`
              : lane !== undefined
                ? // Down into the gap after the caller's layer, along the lane, up in the gap before the callee's.
                  `M ${x1} ${y1} C ${x1 + 40} ${y1}, ${x1 + 20} ${lane}, ${x1 + 60} ${lane} L ${x2 - 60} ${lane} C ${x2 - 20} ${lane}, ${x2 - 40} ${y2}, ${x2} ${y2}`
                : `M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2} ${y2}`;
        return (
          <g key={edgeKey(e.from, e.to)} className={e.errors > 0 ? 'edge edge-error' : 'edge'}>
            <title>{`${e.from} → ${e.to}: ${e.calls} calls, ${e.errors} errors`}</title>
            <path d={d} markerEnd="url(#arrow)" fill="none" />
            <text x={mid} y={(lane ?? (y1 + y2) / 2) - 4} textAnchor="middle">
              {e.calls}
              {e.errors > 0 ? ` / ${e.errors} err` : ''}
            </text>
          </g>
        );
      })}
      {layout.nodes.map((n) => {
        const s = stats.get(n.id);
        return (
          <g
            key={n.id}
            className={s && s.errors > 0 ? 'node node-error' : 'node'}
            transform={`translate(${n.x},${n.y})`}
          >
            <title>{`${n.id}: ${s?.calls ?? 0} calls served, ${s?.errors ?? 0} errors`}</title>
            <rect
              width={LAYOUT.NODE_WIDTH}
              height={LAYOUT.NODE_HEIGHT}
              rx={6}
              style={{ stroke: serviceColour(n.id) }}
            />
            <text x={8} y={15}>
              {truncate(n.id)}
            </text>
            <text x={8} y={29} className="node-stats">
              {s?.calls ?? 0} calls{s && s.errors > 0 ? ` · ${s.errors} err` : ''}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

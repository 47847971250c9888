/**
 * An overview of the whole trace: rows are bucketed (at most MINIMAP_BUCKETS rectangles, whatever
 * the trace size) and the visible window is shaded. Dragging selects a window to zoom to;
 * double-click shows the whole trace again.
 */
import { type PointerEvent, useMemo, useRef, useState } from 'react';
import type { RowTimes } from '../../model/trace-tree.js';

/** Enough rectangles to show the trace's shape; more would cost render time without showing more. */
const MINIMAP_BUCKETS = 120;
const MINIMAP_HEIGHT_PX = 48;
/** A drag shorter than this share of the width is a click, not a selection. */
const MIN_DRAG_RATIO = 0.005;

export interface MinimapProps {
  times: RowTimes;
  viewStart: number;
  viewEnd: number;
  onWindow: (start: number, end: number) => void;
}

export function Minimap({ times, viewStart, viewEnd, onWindow }: MinimapProps) {
  const { traceStart, traceEnd } = times;
  const span = Math.max(1, traceEnd - traceStart);
  const buckets = useMemo(() => {
    const n = times.start.length;
    const count = Math.min(n, MINIMAP_BUCKETS);
    const out: Array<{ start: number; end: number }> = [];
    for (let b = 0; b < count; b++) {
      const from = Math.floor((b * n) / count);
      const to = Math.floor(((b + 1) * n) / count);
      let s = Number.POSITIVE_INFINITY;
      let e = Number.NEGATIVE_INFINITY;
      for (let i = from; i < to; i++) {
        if (times.start[i]! < s) s = times.start[i]!;
        if (times.end[i]! > e) e = times.end[i]!;
      }
      out.push({ start: s, end: e });
    }
    return out;
  }, [times]);
  const svgRef = useRef<SVGSVGElement>(null);
  const [drag, setDrag] = useState<{ from: number; to: number } | undefined>();

  const ratioAt = (e: PointerEvent<SVGSVGElement>) => {
    const rect = svgRef.current?.getBoundingClientRect();
    if (!rect || rect.width === 0) return 0;
    return Math.min(1, Math.max(0, (e.clientX - rect.left) / rect.width));
  };
  const rowHeight = MINIMAP_HEIGHT_PX / Math.max(1, buckets.length);
  const x = (t: number) => ((t - traceStart) / span) * 100;

  return (
    <svg
      ref={svgRef}
      className="minimap"
      role="img"
      aria-label="Trace overview: drag to zoom, double-click to reset"
      viewBox={`0 0 100 ${MINIMAP_HEIGHT_PX}`}
      preserveAspectRatio="none"
      height={MINIMAP_HEIGHT_PX}
      onPointerDown={(e) => {
        (e.currentTarget as Element).setPointerCapture?.(e.pointerId);
        const r = ratioAt(e);
        setDrag({ from: r, to: r });
      }}
      onPointerMove={(e) => drag && setDrag({ from: drag.from, to: ratioAt(e) })}
      onPointerUp={() => {
        if (drag && Math.abs(drag.to - drag.from) > MIN_DRAG_RATIO) {
          const a = Math.min(drag.from, drag.to);
          const b = Math.max(drag.from, drag.to);
          onWindow(traceStart + a * span, traceStart + b * span);
        }
        setDrag(undefined);
      }}
      onDoubleClick={() => onWindow(traceStart, traceEnd)}
    >
      {buckets.map((b, i) => (
        <rect
          // biome-ignore lint/suspicious/noArrayIndexKey: buckets are positional and fixed for a trace.
          key={i}
          className="minimap-bar"
          x={x(b.start)}
          y={i * rowHeight}
          width={Math.max(0.2, x(b.end) - x(b.start))}
          height={Math.max(0.5, rowHeight * 0.8)}
        />
      ))}
      <rect
        className="minimap-window"
        x={x(viewStart)}
        y={0}
        width={Math.max(0.2, x(viewEnd) - x(viewStart))}
        height={MINIMAP_HEIGHT_PX}
      />
      {drag && (
        <rect
          className="minimap-drag"
          x={Math.min(drag.from, drag.to) * 100}
          y={0}
          width={Math.abs(drag.to - drag.from) * 100}
          height={MINIMAP_HEIGHT_PX}
        />
      )}
    </svg>
  );
}

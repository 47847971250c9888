/**
 * The trace timeline: a virtualised, collapsible span tree on a common time axis. Only the rows
 * in view (plus overscan) exist in the DOM; the tree arrays are built once per trace, and
 * expand/collapse recomputes only the visible-index array.
 *
 * Keyboard (WAI-ARIA tree pattern): ↑/↓ move, → expands or goes to the first child, ← collapses
 * or goes to the parent, Enter/Space toggles, Home/End jump.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { type KeyboardEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { formatDuration } from '../../model/format.js';
import { type TimeMode, type TraceTree, visibleRows } from '../../model/trace-tree.js';
import { Minimap } from './minimap.js';
import { ROW_HEIGHT_PX, SpanRow } from './span-row.js';
import { TimeAxis } from './time-axis.js';

/** Rows rendered beyond the viewport on each side: enough to hide blanking on fast scrolls. */
const OVERSCAN_ROWS = 20;
/** Zoom step for the zoom buttons. */
const ZOOM_FACTOR = 2;

export interface TraceTimelineProps {
  tree: TraceTree;
  mode: TimeMode;
  /** Selected row, -1 for none. */
  selectedRow: number;
  onSelect: (row: number) => void;
  /** Zoom window requested from outside (e.g. "zoom to span"), absolute microseconds. */
  zoomTo?: { start: number; end: number } | undefined;
}

export function TraceTimeline({ tree, mode, selectedRow, onSelect, zoomTo }: TraceTimelineProps) {
  const times = mode === 'raw' ? tree.raw : tree.adjusted;
  const [collapsed, setCollapsed] = useState<ReadonlySet<number>>(() => new Set());
  const [showCritical, setShowCritical] = useState(true);
  const [windowState, setWindow] = useState<{ start: number; end: number } | undefined>();
  const viewStart = windowState?.start ?? times.traceStart;
  const viewEnd = windowState?.end ?? times.traceEnd;

  useEffect(() => {
    if (zoomTo) setWindow(zoomTo);
  }, [zoomTo]);
  // A new trace or time mode starts unzoomed and fully expanded.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset only when the tree changes.
  useEffect(() => {
    setCollapsed(new Set());
    setWindow(undefined);
  }, [tree]);

  const visible = useMemo(() => visibleRows(tree, collapsed), [tree, collapsed]);
  // Computed with the tree (in the worker for large traces): no O(n log n) pass on the page.
  const critical = showCritical ? times.critical : undefined;

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: visible.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT_PX,
    overscan: OVERSCAN_ROWS,
  });

  const toggle = useCallback((row: number) => {
    setCollapsed((prev) => {
      const next = new Set(prev);
      if (next.has(row)) next.delete(row);
      else next.add(row);
      return next;
    });
  }, []);

  // A selection made elsewhere (URL, details panel) inside a collapsed subtree expands its ancestors.
  useEffect(() => {
    if (selectedRow < 0) return;
    let hidden = false;
    for (let p = tree.parent[selectedRow]!; p >= 0; p = tree.parent[p]!) if (collapsed.has(p)) hidden = true;
    if (hidden) {
      setCollapsed((prev) => {
        const next = new Set(prev);
        for (let p = tree.parent[selectedRow]!; p >= 0; p = tree.parent[p]!) next.delete(p);
        return next;
      });
    }
  }, [selectedRow, tree, collapsed]);

  const positionOf = (row: number) => visible.indexOf(row);

  useEffect(() => {
    if (selectedRow < 0) return;
    const pos = visible.indexOf(selectedRow);
    if (pos >= 0) virtualizer.scrollToIndex(pos, { align: 'auto' });
  }, [selectedRow, visible, virtualizer]);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (visible.length === 0) return;
    const pos = selectedRow >= 0 ? positionOf(selectedRow) : -1;
    const at = (p: number) => visible[Math.min(visible.length - 1, Math.max(0, p))]!;
    const hasKids = selectedRow >= 0 && tree.childCount[selectedRow]! > 0;
    let handled = true;
    switch (e.key) {
      case 'ArrowDown':
        onSelect(at(pos + 1));
        break;
      case 'ArrowUp':
        onSelect(at(pos < 0 ? 0 : pos - 1));
        break;
      case 'Home':
        onSelect(at(0));
        break;
      case 'End':
        onSelect(at(visible.length - 1));
        break;
      case 'PageDown':
        onSelect(at(pos + 20));
        break;
      case 'PageUp':
        onSelect(at(pos - 20));
        break;
      case 'ArrowRight':
        if (selectedRow < 0) onSelect(at(0));
        else if (hasKids && collapsed.has(selectedRow)) toggle(selectedRow);
        else if (hasKids) onSelect(selectedRow + 1);
        break;
      case 'ArrowLeft':
        if (selectedRow < 0) onSelect(at(0));
        else if (hasKids && !collapsed.has(selectedRow)) toggle(selectedRow);
        else if (tree.parent[selectedRow]! >= 0) onSelect(tree.parent[selectedRow]!);
        break;
      case 'Enter':
      case ' ':
        if (hasKids) toggle(selectedRow);
        break;
      default:
        handled = false;
    }
    if (handled) e.preventDefault();
  };

  const zoom = (factor: number) => {
    const center =
      selectedRow >= 0 ? (times.start[selectedRow]! + times.end[selectedRow]!) / 2 : (viewStart + viewEnd) / 2;
    const half = Math.max(1, ((viewEnd - viewStart) * factor) / 2);
    const start = Math.max(times.traceStart, center - half);
    const end = Math.min(times.traceEnd, center + half);
    setWindow(end - start >= times.traceEnd - times.traceStart ? undefined : { start, end });
  };

  const collapseAll = () => {
    const all = new Set<number>();
    for (let i = 0; i < tree.size; i++) if (tree.childCount[i]! > 0) all.add(i);
    setCollapsed(all);
  };

  const items = virtualizer.getVirtualItems();
  return (
    <section className="timeline" aria-label="Trace timeline">
      <div className="timeline-toolbar">
        <button type="button" onClick={() => zoom(1 / ZOOM_FACTOR)}>
          Zoom in
        </button>
        <button type="button" onClick={() => zoom(ZOOM_FACTOR)}>
          Zoom out
        </button>
        <button type="button" onClick={() => setWindow(undefined)} disabled={!windowState}>
          Reset zoom
        </button>
        <button type="button" onClick={collapseAll}>
          Collapse all
        </button>
        <button type="button" onClick={() => setCollapsed(new Set())} disabled={collapsed.size === 0}>
          Expand all
        </button>
        <label>
          <input type="checkbox" checked={showCritical} onChange={(e) => setShowCritical(e.target.checked)} /> Critical
          path
        </label>
        <span className="timeline-window">
          window {formatDuration(viewEnd - viewStart)} · {visible.length.toLocaleString('en')} of{' '}
          {tree.size.toLocaleString('en')} rows
        </span>
      </div>
      <Minimap
        times={times}
        viewStart={viewStart}
        viewEnd={viewEnd}
        onWindow={(start, end) => setWindow({ start, end })}
      />
      <div className="timeline-header">
        <div className="name-cell">Service.endpoint</div>
        <TimeAxis viewStart={viewStart} viewEnd={viewEnd} traceStart={times.traceStart} />
      </div>
      <div
        ref={scrollRef}
        className="timeline-scroll"
        role="tree"
        tabIndex={0}
        aria-label="Spans"
        aria-activedescendant={selectedRow >= 0 ? `span-row-${selectedRow}` : undefined}
        onKeyDown={onKeyDown}
      >
        <div className="timeline-rows" style={{ height: virtualizer.getTotalSize() }}>
          {items.map((item) => {
            const row = visible[item.index]!;
            return (
              <SpanRow
                key={row}
                tree={tree}
                row={row}
                times={times}
                collapsed={collapsed.has(row)}
                selected={row === selectedRow}
                critical={critical?.[row] === 1}
                viewStart={viewStart}
                viewEnd={viewEnd}
                top={item.start}
                onSelect={onSelect}
                onToggle={toggle}
              />
            );
          })}
        </div>
      </div>
    </section>
  );
}

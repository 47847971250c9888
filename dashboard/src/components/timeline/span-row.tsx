/**
 * One timeline row: the name cell (indent, expand toggle, service colour, badges) and the bar
 * cell (outer REQ→REP bar, inner IN→OUT bar, a tick per event). Memoised: scrolling re-renders
 * only rows whose inputs changed.
 */
import { memo } from 'react';
import type { EventType, HopTimes, Span } from '../../api/types.js';
import { formatDuration, formatOffset } from '../../model/format.js';
import { serviceColour } from '../../model/service-colour.js';
import { COMPLETENESS_TEXT, type Completeness } from '../../model/span-completeness.js';
import { isError } from '../../model/trace-tree.js';

/** Row height in CSS pixels; the virtualiser relies on every row having exactly this height. */
export const ROW_HEIGHT_PX = 26;
/** Indentation per tree level; capped so very deep traces keep a readable name column. */
const INDENT_PX = 12;
const MAX_INDENT_LEVELS = 30;

export interface SpanRowProps {
  row: number;
  span: Span;
  times: HopTimes;
  depth: number;
  hasChildren: boolean;
  collapsed: boolean;
  selected: boolean;
  critical: boolean;
  orphan: boolean;
  /** Whether missing events are lost (partial) or expected (entry, uninstrumented callee). */
  completeness: Completeness;
  /** Visible window, absolute microseconds. */
  viewStart: number;
  viewEnd: number;
  traceStart: number;
  top: number;
  onSelect: (row: number) => void;
  onToggle: (row: number) => void;
}

function pct(t: number, viewStart: number, viewSpan: number): number {
  return ((t - viewStart) / viewSpan) * 100;
}

function SpanRowImpl(props: SpanRowProps) {
  const {
    row,
    span,
    times,
    depth,
    hasChildren,
    collapsed,
    selected,
    critical,
    orphan,
    completeness,
    viewStart,
    viewEnd,
    traceStart,
  } = props;
  const viewSpan = Math.max(1, viewEnd - viewStart);
  const colour = serviceColour(span.to);
  const failed = isError(span);
  const present = (['REQ', 'IN', 'OUT', 'REP'] as const).filter((t) => times[t] !== undefined);
  const values = present.map((t) => times[t]!);
  const first = values.length > 0 ? Math.min(...values) : span.startMicros;
  const last = values.length > 0 ? Math.max(...values) : span.startMicros + span.durationMicros;
  const outerStart = times.REQ ?? first;
  const outerEnd =
    times.REP ??
    Math.max(last, outerStart + (times.REQ === undefined || times.REP === undefined ? span.durationMicros : 0));
  const outerComplete = times.REQ !== undefined && times.REP !== undefined;
  const inner: [number, number] | undefined =
    times.IN !== undefined && times.OUT !== undefined ? [times.IN, times.OUT] : undefined;
  const className = [
    'span-row',
    selected ? 'selected' : '',
    failed ? 'error' : '',
    critical ? 'critical' : '',
    completeness === 'partial' ? 'partial' : '',
  ]
    .filter(Boolean)
    .join(' ');

  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: the tree container handles the keyboard for all rows (aria-activedescendant).
    <div
      role="treeitem"
      tabIndex={-1}
      id={`span-row-${row}`}
      data-span-id={span.spanId}
      aria-level={depth + 1}
      aria-expanded={hasChildren ? !collapsed : undefined}
      aria-selected={selected}
      className={className}
      style={{ transform: `translateY(${props.top}px)`, height: ROW_HEIGHT_PX }}
      onClick={() => props.onSelect(row)}
    >
      <div className="name-cell" style={{ paddingLeft: Math.min(depth, MAX_INDENT_LEVELS) * INDENT_PX + 4 }}>
        {hasChildren ? (
          <button
            type="button"
            className="toggle"
            tabIndex={-1}
            aria-label={collapsed ? 'Expand' : 'Collapse'}
            onClick={(e) => {
              e.stopPropagation();
              props.onToggle(row);
            }}
          >
            {collapsed ? '▸' : '▾'}
          </button>
        ) : (
          <span className="toggle-spacer" />
        )}
        <span className="swatch" style={{ background: colour }} />
        <span className="span-service">{span.to}</span>
        <span className="span-endpoint">.{span.toEndpoint}</span>
        {depth > MAX_INDENT_LEVELS && <span className="badge depth">depth {depth}</span>}
        {failed && (
          <span className="badge badge-error" title={span.errorDescription ?? span.errorCode}>
            error
          </span>
        )}
        {completeness === 'partial' && <span className="badge badge-partial">missing {span.missing.join(' ')}</span>}
        {(completeness === 'entry' || completeness === 'uninstrumented-callee') && (
          <span className="badge badge-expected" title={COMPLETENESS_TEXT[completeness].title}>
            {COMPLETENESS_TEXT[completeness].label}
          </span>
        )}
        {span.skewCorrected && (
          <span className="badge badge-skew" title="Server events shifted by the clock-skew correction">
            skew {formatOffset(span.skewMicros)}
          </span>
        )}
        {orphan && (
          <span className="badge badge-orphan" title="Parent span never arrived">
            orphan
          </span>
        )}
      </div>
      <div className="bar-cell">
        <div
          className={`bar-outer${outerComplete ? '' : ' incomplete'}`}
          style={{
            left: `${pct(outerStart, viewStart, viewSpan)}%`,
            width: `${Math.max(0.15, ((outerEnd - outerStart) / viewSpan) * 100)}%`,
            borderColor: failed ? 'var(--error)' : colour,
            backgroundColor: `color-mix(in srgb, ${colour} 25%, transparent)`,
          }}
        />
        {inner && (
          <div
            className="bar-inner"
            style={{
              left: `${pct(inner[0], viewStart, viewSpan)}%`,
              width: `${Math.max(0.1, ((inner[1] - inner[0]) / viewSpan) * 100)}%`,
              backgroundColor: colour,
            }}
          />
        )}
        {present.map((type: EventType) => (
          <span
            key={type}
            className={`tick tick-${type}`}
            title={`${type} ${formatOffset(times[type]! - traceStart)}`}
            style={{ left: `${pct(times[type]!, viewStart, viewSpan)}%` }}
          />
        ))}
        <span
          className="bar-label"
          style={{ left: `${Math.min(92, Math.max(0, pct(outerEnd, viewStart, viewSpan)))}%` }}
        >
          {formatDuration(span.durationMicros)}
        </span>
      </div>
    </div>
  );
}

export const SpanRow = memo(SpanRowImpl);

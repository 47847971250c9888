/**
 * One timeline row: the name cell (indent, expand toggle, service colour, badges) and the bar
 * cell (outer REQ→REP bar, inner IN→OUT bar, a tick per event). Memoised: scrolling re-renders
 * only rows whose inputs changed.
 */
import { type CSSProperties, memo } from 'react';
import type { EventType } from '../../api/types.js';
import { formatDuration, formatOffset } from '../../model/format.js';
import { serviceColour } from '../../model/service-colour.js';
import { skewBadge, skewDescription } from '../../model/skew-shifts.js';
import { COMPLETENESS_CODES, COMPLETENESS_TEXT } from '../../model/span-completeness.js';
import {
  eventTime,
  missingTypes,
  ROW_FLAG_ERROR,
  ROW_FLAG_SKEW_CORRECTED,
  type RowTimes,
  spanIdAt,
  type TraceTree,
} from '../../model/trace-tree.js';

/** Row height in CSS pixels; the virtualiser relies on every row having exactly this height. */
export const ROW_HEIGHT_PX = 26;
/** Indentation per tree level; capped so very deep traces keep a readable name column. */
const INDENT_PX = 12;
const MAX_INDENT_LEVELS = 30;

export interface SpanRowProps {
  tree: TraceTree;
  row: number;
  /** The time mode's columns (tree.adjusted or tree.raw). */
  times: RowTimes;
  collapsed: boolean;
  selected: boolean;
  critical: boolean;
  /** Visible window, absolute microseconds. */
  viewStart: number;
  viewEnd: number;
  top: number;
  onSelect: (row: number) => void;
  onToggle: (row: number) => void;
}

function pct(t: number, viewStart: number, viewSpan: number): number {
  return ((t - viewStart) / viewSpan) * 100;
}

function SpanRowImpl(props: SpanRowProps) {
  const { tree, row, times, collapsed, selected, critical, viewStart, viewEnd } = props;
  const traceStart = times.traceStart;
  const depth = tree.depth[row]!;
  const hasChildren = tree.childCount[row]! > 0;
  const orphan = tree.orphan[row] === 1;
  const completeness = COMPLETENESS_CODES[tree.completeness[row]!]!;
  const service = tree.strings[tree.toName[row]!]!;
  const endpoint = tree.strings[tree.toEndpointName[row]!]!;
  const durationMicros = tree.durationMicros[row]!;
  const shifts = { calleeMicros: tree.skewMicros[row]!, callerMicros: tree.callerShiftMicros[row]! };
  const errorIndex = tree.errorName[row]!;
  const failed = (tree.flags[row]! & ROW_FLAG_ERROR) !== 0;
  const skewCorrected = (tree.flags[row]! & ROW_FLAG_SKEW_CORRECTED) !== 0;
  const viewSpan = Math.max(1, viewEnd - viewStart);
  const colour = serviceColour(service);
  const at = {
    REQ: eventTime(times, row, 'REQ'),
    IN: eventTime(times, row, 'IN'),
    OUT: eventTime(times, row, 'OUT'),
    REP: eventTime(times, row, 'REP'),
  };
  const present = (['REQ', 'IN', 'OUT', 'REP'] as const).filter((t) => at[t] !== undefined);
  const values = present.map((t) => at[t]!);
  const first = values.length > 0 ? Math.min(...values) : times.start[row]!;
  const last = values.length > 0 ? Math.max(...values) : times.start[row]! + durationMicros;
  const outerStart = at.REQ ?? first;
  const outerEnd =
    at.REP ?? Math.max(last, outerStart + (at.REQ === undefined || at.REP === undefined ? durationMicros : 0));
  const outerComplete = at.REQ !== undefined && at.REP !== undefined;
  const inner: [number, number] | undefined = at.IN !== undefined && at.OUT !== undefined ? [at.IN, at.OUT] : undefined;
  const className = [
    'span-row',
    selected ? 'selected' : '',
    failed ? 'error' : '',
    critical ? 'critical' : '',
    completeness === 'partial' ? 'partial' : '',
  ]
    .filter(Boolean)
    .join(' ');

  const label = barLabelPosition(pct(outerEnd, viewStart, viewSpan));
  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: the tree container handles the keyboard for all rows (aria-activedescendant).
    <div
      role="treeitem"
      tabIndex={-1}
      id={`span-row-${row}`}
      data-span-id={spanIdAt(tree, row)}
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
        <span className="span-service">{service}</span>
        <span className="span-endpoint">.{endpoint}</span>
        {depth > MAX_INDENT_LEVELS && <span className="badge depth">depth {depth}</span>}
        {failed && (
          <span className="badge badge-error" title={errorIndex >= 0 ? tree.strings[errorIndex] : undefined}>
            error
          </span>
        )}
        {completeness === 'partial' && (
          <span className="badge badge-partial">missing {missingTypes(tree, row).join(' ')}</span>
        )}
        {(completeness === 'entry' || completeness === 'uninstrumented-callee') && (
          <span className="badge badge-expected" title={COMPLETENESS_TEXT[completeness].title}>
            {COMPLETENESS_TEXT[completeness].label}
          </span>
        )}
        {skewCorrected && (
          <span className="badge badge-skew" title={`Clock-skew correction: ${skewDescription(shifts)}`}>
            {skewBadge(shifts)}
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
            title={`${type} ${formatOffset(at[type]! - traceStart)}`}
            style={{ left: `${pct(at[type]!, viewStart, viewSpan)}%` }}
          />
        ))}
        <span className={label.inside ? 'bar-label bar-label-inside' : 'bar-label'} style={label.style}>
          {formatDuration(durationMicros)}
        </span>
      </div>
    </div>
  );
}

/** Past this share of the row a label after the bar's end would be cut off at the row's edge. */
const LABEL_AFTER_END_MAX_PCT = 88;

/**
 * Where a bar's duration label goes: just after the bar's end, or — when the bar ends near or
 * past the row's right edge — just inside its end (`inside`: on a light chip, to read over the bar).
 */
function barLabelPosition(endPct: number): { inside: boolean; style: CSSProperties } {
  if (endPct <= LABEL_AFTER_END_MAX_PCT) return { inside: false, style: { left: `${Math.max(0, endPct)}%` } };
  return { inside: true, style: { right: `${Math.max(0, 100 - endPct)}%` } };
}

export const SpanRow = memo(SpanRowImpl);

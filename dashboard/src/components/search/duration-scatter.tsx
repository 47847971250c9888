/**
 * Search results as duration over time: one point per trace, errors drawn as red crosses.
 * Points are SVG elements with accessible names, and clicking one opens the trace. Drawn in pixels
 * at the figure's measured width, with duration ticks from 0 and wall-clock ticks on round UTC times.
 */
import type { TraceSummary } from '../../api/types.js';
import { useElementWidth } from '../../hooks/use-element-width.js';
import { formatDuration, formatTimestamp } from '../../model/format.js';
import { durationTicks, timeTicks } from '../../model/scatter-axes.js';
import { traceHref } from '../../routing/route.js';
import { navigate } from '../../routing/router.js';

/** Width before the figure is measured (and in environments without ResizeObserver). */
const FALLBACK_WIDTH = 800;
const HEIGHT = 200;
const PAD = { left: 64, right: 16, top: 12, bottom: 38 } as const;
/** Horizontal room between the axes and the first and last points. */
const INSET = 8;
/** About one time label per this many pixels, so labels never collide. */
const PIXELS_PER_TIME_TICK = 130;

export function DurationScatter({ rows }: { rows: readonly TraceSummary[] }) {
  const [width, measureRef] = useElementWidth(FALLBACK_WIDTH);
  if (rows.length === 0) return null;
  let t0 = Number.POSITIVE_INFINITY;
  let t1 = Number.NEGATIVE_INFINITY;
  let dMax = 1;
  for (const r of rows) {
    t0 = Math.min(t0, r.startMicros);
    t1 = Math.max(t1, r.startMicros);
    dMax = Math.max(dMax, r.durationMicros);
  }
  const yTicks = durationTicks(dMax);
  const yTop = (yTicks[yTicks.length - 1] as { value: number }).value;
  // Points keep clear of the axes by INSET pixels on either side.
  const plotWidth = Math.max(1, width - PAD.left - PAD.right - 2 * INSET);
  // A single instant sits in the middle rather than on the left edge.
  const tSpan = t1 - t0;
  const x = (t: number) => PAD.left + INSET + (tSpan > 0 ? ((t - t0) / tSpan) * plotWidth : plotWidth / 2);
  const y = (d: number) => HEIGHT - PAD.bottom - (d / yTop) * (HEIGHT - PAD.top - PAD.bottom);
  const xTicks = tSpan > 0 ? timeTicks(t0, t1, Math.max(2, Math.floor(plotWidth / PIXELS_PER_TIME_TICK))) : [];
  const firstDay = formatTimestamp(t0).slice(0, 10);
  const lastDay = formatTimestamp(t1).slice(0, 10);
  const caption = `${firstDay === lastDay ? firstDay : `${firstDay} – ${lastDay}`} UTC, trace start`;
  return (
    <figure className="scatter-figure" aria-label="Trace duration over time" ref={measureRef}>
      <svg className="scatter" width={width} height={HEIGHT} viewBox={`0 0 ${width} ${HEIGHT}`}>
        <title>Trace duration over time; errors are crosses</title>
        {yTicks.map((tick) => (
          <g key={`y${tick.value}`}>
            <line className="grid" x1={PAD.left} y1={y(tick.value)} x2={width - PAD.right} y2={y(tick.value)} />
            <text className="axis-label" x={PAD.left - 6} y={y(tick.value) + 4} textAnchor="end">
              {tick.label}
            </text>
          </g>
        ))}
        {xTicks.map((tick) => (
          <g key={`x${tick.value}`}>
            <line
              className="axis"
              x1={x(tick.value)}
              y1={HEIGHT - PAD.bottom}
              x2={x(tick.value)}
              y2={HEIGHT - PAD.bottom + 4}
            />
            <text className="axis-label" x={x(tick.value)} y={HEIGHT - PAD.bottom + 16} textAnchor="middle">
              {tick.label}
            </text>
          </g>
        ))}
        <line className="axis" x1={PAD.left} y1={HEIGHT - PAD.bottom} x2={width - PAD.right} y2={HEIGHT - PAD.bottom} />
        <line className="axis" x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={HEIGHT - PAD.bottom} />
        <text className="axis-caption" x={width - PAD.right} y={HEIGHT - 4} textAnchor="end">
          {caption}
        </text>
        {rows.map((r) => {
          const cx = x(r.startMicros);
          const cy = y(r.durationMicros);
          const label = `${r.rootService}.${r.rootEndpoint}${r.rootSeen ? '' : ' (root not seen)'} ${formatDuration(r.durationMicros)}${r.errorCount > 0 ? `, ${r.errorCount} errors` : ''}`;
          const open = () => navigate(traceHref(r.traceId));
          return (
            // biome-ignore lint/a11y/useSemanticElements: an SVG point cannot be a <button>; role and key handling make it one.
            <g
              key={r.traceId}
              className={r.errorCount > 0 ? 'point point-error' : 'point'}
              role="button"
              tabIndex={0}
              aria-label={label}
              onClick={open}
              onKeyDown={(e) => {
                if (e.key === 'Enter' || e.key === ' ') open();
              }}
            >
              <title>{label}</title>
              {r.errorCount > 0 ? (
                <path d={`M${cx - 4},${cy - 4}L${cx + 4},${cy + 4}M${cx - 4},${cy + 4}L${cx + 4},${cy - 4}`} />
              ) : (
                <circle cx={cx} cy={cy} r={4} />
              )}
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

/**
 * Search results as duration over time: one point per trace, errors drawn as red crosses.
 * Points are SVG elements with accessible names, and clicking one opens the trace.
 */
import type { TraceSummary } from '../../api/types.js';
import { formatDuration, formatTimestamp } from '../../model/format.js';
import { traceHref } from '../../routing/route.js';
import { navigate } from '../../routing/router.js';

const WIDTH = 800;
const HEIGHT = 200;
const PAD = { left: 64, right: 12, top: 10, bottom: 24 } as const;

export function DurationScatter({ rows }: { rows: readonly TraceSummary[] }) {
  if (rows.length === 0) return null;
  let t0 = Number.POSITIVE_INFINITY;
  let t1 = Number.NEGATIVE_INFINITY;
  let dMax = 1;
  for (const r of rows) {
    t0 = Math.min(t0, r.startMicros);
    t1 = Math.max(t1, r.startMicros);
    dMax = Math.max(dMax, r.durationMicros);
  }
  const tSpan = Math.max(1, t1 - t0);
  const x = (t: number) => PAD.left + ((t - t0) / tSpan) * (WIDTH - PAD.left - PAD.right);
  const y = (d: number) => HEIGHT - PAD.bottom - (d / dMax) * (HEIGHT - PAD.top - PAD.bottom);
  return (
    <figure className="scatter-figure" aria-label="Trace duration over time">
      <svg className="scatter" viewBox={`0 0 ${WIDTH} ${HEIGHT}`}>
        <title>Trace duration over time; errors are crosses</title>
        <line className="axis" x1={PAD.left} y1={HEIGHT - PAD.bottom} x2={WIDTH - PAD.right} y2={HEIGHT - PAD.bottom} />
        <line className="axis" x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={HEIGHT - PAD.bottom} />
        <text className="axis-label" x={PAD.left - 6} y={PAD.top + 8} textAnchor="end">
          {formatDuration(dMax)}
        </text>
        <text className="axis-label" x={PAD.left - 6} y={HEIGHT - PAD.bottom} textAnchor="end">
          0
        </text>
        <text className="axis-label" x={PAD.left} y={HEIGHT - 6}>
          {formatTimestamp(t0)}
        </text>
        <text className="axis-label" x={WIDTH - PAD.right} y={HEIGHT - 6} textAnchor="end">
          {formatTimestamp(t1)}
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

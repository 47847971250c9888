/** Tick labels for the visible window, as offsets from the trace start. */
import { formatOffset } from '../../model/format.js';
import { niceTicks } from '../../model/ticks.js';

export function TimeAxis({
  viewStart,
  viewEnd,
  traceStart,
}: {
  viewStart: number;
  viewEnd: number;
  traceStart: number;
}) {
  const span = Math.max(1, viewEnd - viewStart);
  const ticks = niceTicks(viewStart - traceStart, viewEnd - traceStart).map((t) => t + traceStart);
  return (
    <div className="time-axis" aria-hidden="true">
      {ticks.map((t) => (
        <span key={t} className="axis-tick" style={{ left: `${((t - viewStart) / span) * 100}%` }}>
          {formatOffset(t - traceStart)}
        </span>
      ))}
    </div>
  );
}

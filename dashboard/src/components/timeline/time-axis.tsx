/**
 * Tick labels for the visible window, as offsets from the trace start. A label reads to the right
 * of its tick, except near the right edge, where it reads to the left so it is not cut off.
 */
import { formatOffset } from '../../model/format.js';
import { niceTicks } from '../../model/ticks.js';

/** Past this share of the axis (percent) a label sits left of its tick: the widest label fits in what is left. */
const END_PERCENT = 92;

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
      {ticks.map((t) => {
        const percent = ((t - viewStart) / span) * 100;
        const nearEnd = percent > END_PERCENT;
        return (
          <span
            key={t}
            className={nearEnd ? 'axis-tick axis-tick-end' : 'axis-tick'}
            style={nearEnd ? { right: `${100 - percent}%` } : { left: `${percent}%` }}
          >
            {formatOffset(t - traceStart)}
          </span>
        );
      })}
    </div>
  );
}

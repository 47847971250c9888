/**
 * Axes of the search results' duration scatter: a duration axis from 0 to a round value at or above
 * the slowest trace, and a wall-clock axis whose ticks fall on round UTC times (whole seconds,
 * minutes, hours), as a reader of Jaeger's or Kibana's scatter expects — not on offsets from the
 * first trace.
 */
import { formatDuration, formatTimestamp } from './format.js';
import { niceStep } from './ticks.js';

export interface AxisTick {
  /** Position in the axis's unit (microseconds). */
  value: number;
  label: string;
}

/**
 * Ticks of a duration axis from 0 covering `maxMicros`, about `target` intervals: the last tick is
 * the axis's top (≥ maxMicros), so the slowest point never sits above the last label.
 */
export function durationTicks(maxMicros: number, target = 4): AxisTick[] {
  const max = Number.isFinite(maxMicros) && maxMicros > 0 ? maxMicros : 1;
  const step = niceStep(max, target);
  const intervals = Math.ceil(max / step - 1e-9);
  return Array.from({ length: intervals + 1 }, (_, i) => ({
    value: i * step,
    label: i === 0 ? '0' : formatDuration(i * step),
  }));
}

const MS = 1_000;
const S = 1_000_000;
const MIN = 60 * S;
const H = 60 * MIN;
/** Wall-clock steps, microseconds: sub-second, then the divisions of a clock face. */
const TIME_STEPS = [
  1 * MS,
  2 * MS,
  5 * MS,
  10 * MS,
  20 * MS,
  50 * MS,
  100 * MS,
  200 * MS,
  500 * MS,
  S,
  2 * S,
  5 * S,
  10 * S,
  15 * S,
  30 * S,
  MIN,
  2 * MIN,
  5 * MIN,
  10 * MIN,
  15 * MIN,
  30 * MIN,
  H,
  2 * H,
  3 * H,
  6 * H,
  12 * H,
  24 * H,
] as const;

/** `14:41:50` (UTC), with milliseconds when the step is under a second: the time part of formatTimestamp. */
function clockLabel(micros: number, step: number): string {
  return formatTimestamp(micros).slice(11, step < S ? 23 : 19);
}

/**
 * Ticks of a wall-clock axis over [fromMicros, toMicros] (epoch microseconds), about `target` of
 * them, on multiples of a clock step in UTC. A window of a single instant gets one tick.
 */
export function timeTicks(fromMicros: number, toMicros: number, target = 6): AxisTick[] {
  const span = toMicros - fromMicros;
  if (!(span > 0) || !Number.isFinite(span)) return [{ value: fromMicros, label: clockLabel(fromMicros, MS) }];
  const raw = span / Math.max(1, target);
  const step = TIME_STEPS.find((s) => s >= raw) ?? Math.ceil(raw / (24 * H)) * 24 * H;
  const ticks: AxisTick[] = [];
  for (let t = Math.ceil(fromMicros / step) * step; t <= toMicros; t += step) {
    ticks.push({ value: t, label: clockLabel(t, step) });
  }
  return ticks;
}

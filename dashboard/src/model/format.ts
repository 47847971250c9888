/** Display formatting for times and durations; all inputs are microseconds. */

/** `1.23 s`, `45.6 ms`, `789 µs`: three significant digits, unit picked by magnitude. */
export function formatDuration(micros: number): string {
  const abs = Math.abs(micros);
  if (abs >= 1_000_000) return `${(micros / 1_000_000).toPrecision(3)} s`;
  if (abs >= 1_000) return `${(micros / 1_000).toPrecision(3)} ms`;
  return `${Math.round(micros)} µs`;
}

/** Milliseconds with two decimals, as in the Phosphor text view: `5.59 ms`. */
export function formatMillis(micros: number): string {
  return `${(micros / 1000).toFixed(2)} ms`;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `2014-09-07 02:20:19.867` in UTC (the slide-9 format). */
export function formatTimestamp(micros: number): string {
  const d = new Date(Math.floor(micros / 1000));
  if (Number.isNaN(d.getTime())) return 'invalid time';
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes(),
  )}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
}

/** Offset from the trace start, signed: `+12.3 ms`. */
export function formatOffset(micros: number): string {
  return `${micros >= 0 ? '+' : '−'}${formatDuration(Math.abs(micros))}`;
}

/** "Nice" axis ticks (1, 2, 5 × 10^k) for a time window. */

/** The 1, 2, 5 × 10^k step that cuts `span` into about `target` intervals (at most `target`). */
export function niceStep(span: number, target: number): number {
  const raw = span / Math.max(1, target);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
}

/** Returns tick positions (absolute, same unit as the inputs) covering [from, to], about `target` of them. */
export function niceTicks(from: number, to: number, target = 6): number[] {
  const span = to - from;
  if (!(span > 0) || !Number.isFinite(span)) return [from];
  const step = niceStep(span, target);
  const ticks: number[] = [];
  // Ticks are offsets from `from` so labels read +0, +2 ms, +4 ms … on the trace's own axis.
  for (let t = 0; t <= span + step * 1e-9; t += step) ticks.push(from + t);
  return ticks;
}

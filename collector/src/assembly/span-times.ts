import type { Span } from '../model/span.js';

/** Recomputes `startMicros` and `durationMicros` from the (adjusted) events. */
export function finishTimes(span: Span): void {
  const e = span.events;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  const { REQ, IN, OUT, REP } = e;
  if (REQ !== undefined) {
    min = REQ;
    max = REQ;
  }
  if (IN !== undefined) {
    if (IN < min) min = IN;
    if (IN > max) max = IN;
  }
  if (OUT !== undefined) {
    if (OUT < min) min = OUT;
    if (OUT > max) max = OUT;
  }
  if (REP !== undefined) {
    if (REP < min) min = REP;
    if (REP > max) max = REP;
  }
  span.startMicros = min === Number.POSITIVE_INFINITY ? 0 : min;
  span.durationMicros = span.clientDurationMicros ?? span.serverDurationMicros ?? (max > min ? max - min : 0);
}

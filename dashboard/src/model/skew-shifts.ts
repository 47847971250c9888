/**
 * What the collector's clock-skew correction moved on one span. The callee's events (IN/OUT) move by
 * the server host's offset, which the span carries as `skewMicros`; the caller's events (REQ/REP) move
 * by the client host's offset, found on an ancestor span served on that host, which the span carries
 * only as the difference between its adjusted and raw times. A span can be corrected on the caller's
 * side alone (its own server clock agrees with its caller's ancestors): then `skewMicros` is 0 and
 * "skew +0 µs" would hide what moved.
 */
import type { Span } from '../api/types.js';
import { formatOffset } from './format.js';

export interface SkewShifts {
  /** Added to the callee's (IN/OUT) times. */
  calleeMicros: number;
  /** Added to the caller's (REQ/REP) times. */
  callerMicros: number;
}

const NONE: SkewShifts = Object.freeze({ calleeMicros: 0, callerMicros: 0 });

/** Shifts under half a microsecond print as +0 µs: they count as none. */
export function moved(micros: number): boolean {
  return Math.abs(micros) >= 0.5;
}

/** The span's two shifts; both 0 when the collector did not correct it. */
export function skewShifts(span: Span): SkewShifts {
  if (!span.skewCorrected) return NONE;
  const type = span.rawEvents.REQ !== undefined ? 'REQ' : 'REP';
  const raw = span.rawEvents[type];
  const adjusted = span.events[type];
  return {
    calleeMicros: span.skewMicros,
    callerMicros: raw !== undefined && adjusted !== undefined ? adjusted - raw : 0,
  };
}

/** True when either side of the span was moved. */
export function isSkewCorrected(shifts: SkewShifts): boolean {
  return moved(shifts.calleeMicros) || moved(shifts.callerMicros);
}

/** Badge text: `skew −261 µs` (callee), `caller −261 µs`, both, or undefined when nothing moved. */
export function skewBadge(shifts: SkewShifts): string | undefined {
  const parts: string[] = [];
  if (moved(shifts.calleeMicros)) parts.push(`skew ${formatOffset(shifts.calleeMicros)}`);
  if (moved(shifts.callerMicros)) parts.push(`caller ${formatOffset(shifts.callerMicros)}`);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

/** A sentence for the span's details and the badge's tooltip. */
export function skewDescription(shifts: SkewShifts): string {
  const parts: string[] = [];
  if (moved(shifts.calleeMicros)) parts.push(`callee's events (IN/OUT) moved by ${formatOffset(shifts.calleeMicros)}`);
  if (moved(shifts.callerMicros)) {
    parts.push(
      `caller's events (REQ/REP) moved by ${formatOffset(shifts.callerMicros)}, its host's offset found on an ancestor span`,
    );
  }
  return parts.length > 0 ? parts.join('; ') : 'no correction';
}

/**
 * Microsecond wall-clock timestamps for events. `Date.now()` only has millisecond resolution,
 * which is too coarse for hop timings inside one host, so the clock is anchored to the wall clock
 * once and advanced with the monotonic `performance.now()`. `resyncClock()` (called from the
 * tracer's flush timer) re-anchors when the wall clock was stepped (NTP), so drift stays bounded.
 */
import { performance } from 'node:perf_hooks';

/** Re-anchor when the monotonic estimate and the wall clock differ by more than this (1 ms: Date.now()'s resolution). */
const RESYNC_THRESHOLD_MICROS = 1000;

let anchorWallMicros = Date.now() * 1000;
let anchorMonoMillis = performance.now();

/** Microseconds since the Unix epoch, sub-millisecond resolution, never going backwards between resyncs. */
export function nowMicros(): number {
  return Math.round(anchorWallMicros + (performance.now() - anchorMonoMillis) * 1000);
}

/** Re-anchors the clock to `Date.now()` if it drifted; returns the correction applied in µs (0 if none). */
export function resyncClock(): number {
  const wall = Date.now() * 1000;
  const estimate = nowMicros();
  const drift = wall - estimate;
  if (Math.abs(drift) <= RESYNC_THRESHOLD_MICROS) return 0;
  anchorWallMicros = wall;
  anchorMonoMillis = performance.now();
  return drift;
}

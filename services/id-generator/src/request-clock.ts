/**
 * The clock request durations (metric points, log lines) are measured with: the tracer's
 * (`nowMicros()`, µs since the Unix epoch). A traced request starts at its hop's start — the instant
 * its IN event carries — so its duration and its span agree and the service reads the clock once
 * per request instead of twice beside the tracer's own two reads (each ≈ 55 ns on a VM's clock).
 */
import { nowMicros, type TraceContext } from '@phosphor/tracer';

/** When the request that `trace` (from `traceOf`, if traced) belongs to started, µs since the Unix epoch. */
export function requestStartMicros(trace: TraceContext | undefined): number {
  return trace?.startMicros ?? nowMicros();
}

/**
 * Milliseconds from `startMicros` to `endMicros` — by default now; a traced request's OUT timestamp
 * when the tracing gives it — never negative (the tracer's clock may be re-anchored).
 */
export function elapsedMillis(startMicros: number, endMicros = nowMicros()): number {
  return Math.max(0, endMicros - startMicros) / 1000;
}

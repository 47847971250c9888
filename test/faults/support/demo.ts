/** The demo services in-process, pointed at a collector, for the fault scenarios. */

import { type RunningDemo, startDemo } from '@phosphor/demo-services';
import { resolveIdServiceConfig } from '@phosphor/id-generator';
import type { Tracer } from '@phosphor/tracer';

/**
 * The tracer's documented default `maxBufferedEvents` (tracer-lib README, options table). The demo does
 * not override it, so it is the bound every demo tracer's buffer must respect.
 */
export const TRACER_MAX_BUFFERED_EVENTS = 8192;

/** Symbols the load uses; FAIL always fails at the quote service (gateway answers 502). */
export const SYMBOLS = ['ACME', 'GLOBX', 'INIT', 'UMBR', 'WAYNE', 'STARK'] as const;

/**
 * Starts gateway, quote and an embedded ID service on free ports, tracing to `collectorUdpPort`, with
 * no injected errors or slow paths (so every non-FAIL request must succeed) and no built-in traffic
 * (the scenario drives its own). The ID service logs nowhere: request logs on stdout would flood the
 * test output.
 */
export async function startQuietDemo(collectorUdpPort: number, hmacKey?: string): Promise<RunningDemo> {
  return startDemo(
    {
      host: '127.0.0.1',
      tracing: { collectors: [`127.0.0.1:${collectorUdpPort}`], ...(hmacKey ? { hmacKey } : {}) },
      idGenerator: { embedded: true, httpPort: 0, grpcPort: 0 },
      gateway: { httpPort: 0 },
      rates: { httpPort: 0 },
      quote: { httpPort: 0, grpcPort: 0, errorRate: 0, slowRate: 0 },
      traffic: { enabled: false },
    },
    { idServiceConfig: resolveIdServiceConfig({ logging: { stdout: false, requestLogs: false } }) },
  );
}

/** Every tracer of a running demo, by service name. */
export function demoTracers(demo: RunningDemo): Record<string, Tracer> {
  return {
    gateway: demo.tracers.gateway,
    quote: demo.tracers.quote,
    ...(demo.idService ? { 'id-generator': demo.idService.tracer } : {}),
  };
}

/**
 * The tracer's own accounting, after a flush: every event accepted into the buffer was sent, dropped
 * after being buffered (send error, too large, invalid when packed), or is still buffered. Returns the
 * difference (0 when it adds up) so a failing assertion shows the numbers.
 */
export function unaccountedEvents(tracer: Tracer): number {
  const s = tracer.stats();
  const { sendError, tooLarge, invalid } = s.droppedEvents;
  return s.recordedEvents - (s.sentEvents + sendError + tooLarge + invalid + s.bufferedEvents);
}

import type { EmitReason } from '../../src/assembly/span-sink.js';
import { CollectorEngine, type CollectorEngineOptions } from '../../src/engine/collector-engine.js';
import type { Span } from '../../src/model/span.js';

/**
 * An engine with small caps and a clock stopped at 0 that records every span it emits with the
 * reason, for tests that feed it datagrams and look at what comes out; `options` override the caps.
 */
export function recordingEngine(options: Partial<CollectorEngineOptions> = {}): {
  collector: CollectorEngine;
  emitted: { span: Span; reason: EmitReason }[];
} {
  const emitted: { span: Span; reason: EmitReason }[] = [];
  const collector = new CollectorEngine(
    {
      spanTimeoutMillis: 1000,
      maxPendingSpans: 1000,
      skewCorrection: true,
      lateWindowMillis: 60_000,
      maxRememberedSpans: 1000,
      now: () => 0,
      ...options,
    },
    (spans, reason) => {
      for (const span of spans) emitted.push({ span, reason });
    },
  );
  return { collector, emitted };
}

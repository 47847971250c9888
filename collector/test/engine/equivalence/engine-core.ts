import { CollectorEngine } from '../../../src/engine/collector-engine.js';
import type { CoreFactory } from './run-stream.js';

/**
 * The engine as a core for {@link runStream}, with the old core's timing: entry spans wait for
 * the timeout (`finishEntrySpans: false`), which is the one behaviour the engine changes on purpose.
 */
export const engineCore: CoreFactory = (options, sink) => {
  const engine = new CollectorEngine({ ...options, finishEntrySpans: false }, sink);
  return {
    ingest(bytes) {
      const o = engine.ingestDatagram(bytes);
      return o.ok
        ? { ok: true, acceptedEvents: o.acceptedEvents, invalidEvents: o.invalidEvents, header: o.header }
        : { ok: false, reason: o.reason, acceptedEvents: 0, invalidEvents: 0 };
    },
    sweep: () => engine.sweep(),
    flushAll: () => engine.flushAll(),
    pendingSpansOf: (traceId) => engine.pendingSpansOf(traceId),
    stats: () => ({ ...engine.stats() }),
  };
};

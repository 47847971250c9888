/**
 * Writes the golden outputs of the equivalence test from the OLD core (SpanAssembler fed by the
 * wire codec's decodeDatagram), one JSON file per stream:
 *   node --import tsx collector/test/engine/equivalence/generate-golden.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeDatagram } from '@phosphor/tracer/wire';
import { SpanAssembler } from '../../../src/assembly/span-assembler.js';
import { type CoreFactory, runStream } from './run-stream.js';
import { STREAMS } from './streams.js';

const oldCore: CoreFactory = (options, sink) => {
  const assembler = new SpanAssembler(options, sink);
  return {
    ingest(bytes) {
      const result = decodeDatagram(bytes);
      if (!result.ok) return { ok: false, reason: result.reason, acceptedEvents: 0, invalidEvents: 0 };
      assembler.addEvents(result.batch.events);
      return {
        ok: true,
        acceptedEvents: result.batch.events.length,
        invalidEvents: result.invalidEvents,
        header: result.batch,
      };
    },
    sweep: () => assembler.sweep(),
    flushAll: () => assembler.flushAll(),
    pendingSpansOf: (traceId) => assembler.pendingSpansOf(traceId),
    stats: () => ({ ...assembler.stats() }),
  };
};

const dir = join(dirname(fileURLToPath(import.meta.url)), 'golden');
mkdirSync(dir, { recursive: true });
for (const [name, make] of Object.entries(STREAMS)) {
  const result = await runStream(make(), oldCore);
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(result)}\n`);
  console.log(
    name,
    JSON.stringify((result as { ingest: unknown }).ingest),
    JSON.stringify((result as { assembly: unknown }).assembly),
  );
}

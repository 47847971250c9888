import { AppendStatus, DatagramWriter, EventTemplate, type TraceEvent } from '@phosphor/wire';
import { expect } from 'vitest';
import type { EmitReason } from '../../src/assembly/span-sink.js';
import type { Span } from '../../src/model/span.js';
import { recordingEngine } from './recording-engine.js';

const T0 = 1_700_000_000_000_000;
const drops = { bufferFull: 0, tooLarge: 0, sendError: 0, sampledOut: 0 };

/** How {@link writeDatagrams} writes events. */
export interface WriteOptions {
  /** From templates (`appendFromTemplate`), as the tracer writes instrumented hops; else inline (`append`). */
  templated: boolean;
  /** One template per distinct repeating fields, as the tracer keeps them (the writer then shares them); else one per event. */
  reuseTemplates?: boolean;
  /** Default 1400, the tracer's network default. */
  maxDatagramBytes?: number;
}

/** The datagrams a tracer's writer makes of `list`, in order, each full one closed as the next event arrives. */
export function writeDatagrams(list: TraceEvent[], options: WriteOptions): Buffer[] {
  const writer = new DatagramWriter({
    maxDatagramBytes: options.maxDatagramBytes ?? 1400,
    tracerId: 'abcdef0123456789',
    service: 's',
    hostname: 'h',
  });
  const templates = new Map<string, EventTemplate>();
  const templateOf = (e: TraceEvent): EventTemplate => {
    if (!options.reuseTemplates) return EventTemplate.encode(e) as EventTemplate;
    const { traceId: _t, spanId: _s, parentSpanId: _p, timestampMicros: _ts, durationMicros: _d, ...fields } = e;
    const key = JSON.stringify(fields);
    let template = templates.get(key);
    if (template === undefined) {
      template = EventTemplate.encode(e) as EventTemplate;
      templates.set(key, template);
    }
    return template;
  };
  const write = (e: TraceEvent): AppendStatus =>
    options.templated
      ? writer.appendFromTemplate(
          templateOf(e),
          e.traceId,
          e.spanId,
          e.parentSpanId,
          e.timestampMicros,
          e.durationMicros,
        )
      : writer.append(e);
  const out: Buffer[] = [];
  for (const event of list) {
    if (write(event) === AppendStatus.full) {
      out.push(Buffer.from(writer.finish(out.length, drops, T0)));
      expect(write(event)).toBe(AppendStatus.appended);
    }
  }
  out.push(Buffer.from(writer.finish(out.length, drops, T0)));
  return out;
}

/** What a recording engine makes of `list` (every datagram must be accepted): spans, datagrams the codec took, events accepted. */
export function assembleDatagrams(list: Buffer[]): {
  spans: { span: Span; reason: EmitReason }[];
  byCodec: number;
  accepted: number;
} {
  const { collector: engine, emitted } = recordingEngine();
  let byCodec = 0;
  let accepted = 0;
  for (const datagram of list) {
    const outcome = engine.ingestDatagram(datagram);
    expect(outcome.ok).toBe(true);
    accepted += outcome.acceptedEvents;
    if (outcome.decodedByCodec) byCodec++;
  }
  engine.flushAll();
  return { spans: emitted, byCodec, accepted };
}

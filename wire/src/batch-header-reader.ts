import type { Batch, TraceEvent } from './event.js';
import { expectWireType, type ProtobufReader, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from './protobuf-reader.js';

/*
 * A Batch's header fields (everything but field 6, events) read off the wire in one place. The
 * codec's decoder and the collector's event router both walk whole Batch payloads and treat the
 * events their own way (decode them, or route their raw frames to shards), but must agree on the
 * header exactly: field numbers, wire types, the messages naming a bad field, a repeated `drops`
 * message replacing the earlier one, unknown fields skipped. Each walk loops over the tags,
 * handles field 6 itself and hands every other field to readBatchHeaderField.
 */

/** Field 6 of Batch: the events, which each walk handles itself. */
export const BATCH_EVENTS_FIELD = 6;
/** Batch field of the fields several events of the datagram share (docs/wire-format.md, "Shared fields"). */
export const BATCH_SHARED_FIELD = 8;

/** A reader that can also read a header string (tracer id, service, host) its own way (interned, cached). */
export interface BatchHeaderSource extends ProtobufReader {
  /** Reads a length-delimited string field named `field` (for messages). */
  headerString(field: string): string;
}

/** The header fields collected while walking one Batch; reused, reset before each payload. */
export class BatchHeaderFields {
  tracerId = '';
  sequence = 0;
  service = '';
  hostname = '';
  sentAtMicros = 0;
  bufferFull = 0;
  tooLarge = 0;
  sendError = 0;
  sampledOut = 0;

  reset(): void {
    this.tracerId = this.service = this.hostname = '';
    this.sequence = this.sentAtMicros = 0;
    this.bufferFull = this.tooLarge = this.sendError = this.sampledOut = 0;
  }

  /** A Batch of these header fields and the given events. */
  toBatch(events: TraceEvent[]): Batch {
    return {
      tracerId: this.tracerId,
      sequence: this.sequence,
      service: this.service,
      hostname: this.hostname,
      sentAtMicros: this.sentAtMicros,
      drops: {
        bufferFull: this.bufferFull,
        tooLarge: this.tooLarge,
        sendError: this.sendError,
        sampledOut: this.sampledOut,
      },
      events,
    };
  }
}

/** A Batch with every header field at its default and no events (what an empty payload decodes to). */
export function emptyBatch(): Batch {
  return new BatchHeaderFields().toBatch([]);
}

/**
 * Reads the Batch field of number `field` (not BATCH_EVENTS_FIELD) whose tag the caller has just
 * read, into `h`; unknown fields are skipped. Throws MalformedPayload as the reader does.
 */
export function readBatchHeaderField(
  r: BatchHeaderSource,
  field: number,
  wireType: number,
  h: BatchHeaderFields,
): void {
  switch (field) {
    case 1:
      expectWireType(wireType, WIRE_LEN, 'tracerId');
      h.tracerId = r.headerString('tracerId');
      return;
    case 2:
      expectWireType(wireType, WIRE_VARINT, 'sequence');
      h.sequence = r.varint32();
      return;
    case 3:
      expectWireType(wireType, WIRE_LEN, 'service');
      h.service = r.headerString('service');
      return;
    case 4:
      expectWireType(wireType, WIRE_LEN, 'hostname');
      h.hostname = r.headerString('hostname');
      return;
    case 5:
      expectWireType(wireType, WIRE_LEN, 'drops');
      readDrops(r, h);
      return;
    case 7:
      expectWireType(wireType, WIRE_FIXED64, 'sentAtMicros');
      h.sentAtMicros = r.double('sentAtMicros');
      return;
    default:
      r.skip(wireType);
  }
}

/** Reads a DropCounters message (four fixed64 doubles, fields 1–4). */
function readDrops(r: ProtobufReader, h: BatchHeaderFields): void {
  const end = r.lengthEnd('drops');
  const outer = r.end;
  r.end = end;
  // A repeated message field replaces the earlier one (protobufjs semantics).
  h.bufferFull = h.tooLarge = h.sendError = h.sampledOut = 0;
  while (r.pos < end) {
    const dropTag = r.varint32();
    const field = dropTag >>> 3;
    if (field >= 1 && field <= 4) {
      expectWireType(dropTag & 7, WIRE_FIXED64, 'drops');
      const value = r.double('drops');
      if (field === 1) h.bufferFull = value;
      else if (field === 2) h.tooLarge = value;
      else if (field === 3) h.sendError = value;
      else h.sampledOut = value;
    } else {
      r.skip(dropTag & 7);
    }
  }
  r.end = outer;
}

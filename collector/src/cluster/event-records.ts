import {
  AppendStatus,
  type Batch,
  DatagramWriter,
  decodeDatagram,
  MAX_UDP_PAYLOAD_BYTES,
  type TraceEvent,
  WIRE_FLAG_HMAC,
} from '@phosphor/wire';

/**
 * Kafka records between receivers and assemblers. A record's value is a wire-format v1 datagram
 * (docs/wire-format.md, no HMAC: Kafka is inside the trust boundary) holding the events of ONE
 * trace from one received datagram, under that datagram's own header (tracer id, sequence,
 * service, host, drop counters); its key is the trace id, so Kafka's key hash sends every event
 * of a trace to one partition, hence to one assembler. No second format exists: assemblers decode
 * records with the same codec as UDP datagrams, and validate them the same way.
 */
export interface EventRecord {
  /** The trace id, UTF-8: the partitioning key. */
  key: Buffer;
  /** A wire-format datagram. */
  value: Buffer;
  /** Events inside `value` (for the receiver's counters; not sent). */
  events: number;
}

/** Smallest datagram a record is written into (the writer needs room for its header). */
const MIN_RECORD_DATAGRAM_BYTES = 1024;
/** Room over the received datagram's size for a re-encoded subset (varint and field-order differences). */
const RECORD_SLACK_BYTES = 256;

/**
 * Splits a decoded, validated datagram into one record per trace. A datagram whose events all
 * belong to one trace and carries no HMAC is forwarded as it came, without re-encoding.
 */
export function recordsOf(batch: Batch, datagram: Buffer | undefined): EventRecord[] {
  const events = batch.events;
  if (events.length === 0) return [];
  const first = (events[0] as TraceEvent).traceId;
  let single = true;
  for (let i = 1; i < events.length; i++) {
    if ((events[i] as TraceEvent).traceId !== first) {
      single = false;
      break;
    }
  }
  if (single && datagram !== undefined && ((datagram[3] ?? 0) & WIRE_FLAG_HMAC) === 0) {
    return [{ key: Buffer.from(first, 'utf8'), value: datagram, events: events.length }];
  }
  const byTrace = new Map<string, TraceEvent[]>();
  for (const event of events) {
    let list = byTrace.get(event.traceId);
    if (!list) {
      list = [];
      byTrace.set(event.traceId, list);
    }
    list.push(event);
  }
  // The tracer's own encoder (wire package), under the received datagram's identity: a trace's events
  // from one datagram fit in a datagram of that datagram's size.
  const maxDatagramBytes = Math.min(
    MAX_UDP_PAYLOAD_BYTES,
    Math.max(MIN_RECORD_DATAGRAM_BYTES, (datagram?.length ?? MAX_UDP_PAYLOAD_BYTES) + RECORD_SLACK_BYTES),
  );
  const writer = new DatagramWriter({
    maxDatagramBytes,
    tracerId: batch.tracerId,
    service: batch.service,
    hostname: batch.hostname,
  });
  const records: EventRecord[] = [];
  for (const [traceId, list] of byTrace) {
    const key = Buffer.from(traceId, 'utf8');
    let count = 0;
    for (const event of list) {
      let status = writer.append(event);
      if (status === AppendStatus.full && count > 0) {
        records.push({ key, value: writer.finish(batch.sequence, batch.drops, batch.sentAtMicros), events: count });
        count = 0;
        status = writer.append(event);
      }
      // Events were validated when the datagram was decoded; the writer validates them again.
      if (status === AppendStatus.appended) count++;
    }
    if (count > 0) {
      records.push({ key, value: writer.finish(batch.sequence, batch.drops, batch.sentAtMicros), events: count });
    }
  }
  return records;
}

/** Why a consumed record was not used. */
export type RecordRejection = 'empty' | 'undecodable' | 'key_mismatch';

/** The outcome of {@link decodeRecord}. */
export type DecodedRecord =
  | { ok: true; batch: Batch; invalidEvents: number }
  | { ok: false; reason: RecordRejection; detail: string };

/**
 * Validates a consumed record like a datagram (magic, version, protobuf, every event's fields)
 * and checks that each event belongs to the record's key, so a record produced by anything else
 * cannot put events in the wrong partition's assembly. Never throws.
 */
export function decodeRecord(key: Buffer | undefined, value: Buffer | undefined): DecodedRecord {
  if (!value || value.length === 0) return { ok: false, reason: 'empty', detail: 'record has no value' };
  const result = decodeDatagram(value);
  if (!result.ok) return { ok: false, reason: 'undecodable', detail: `${result.reason}: ${result.detail}` };
  const traceId = key?.toString('utf8');
  const events = result.batch.events;
  for (let i = 0; i < events.length; i++) {
    if ((events[i] as TraceEvent).traceId !== traceId) {
      return {
        ok: false,
        reason: 'key_mismatch',
        detail: `event trace id ${(events[i] as TraceEvent).traceId} differs from the record key ${traceId ?? '(none)'}`,
      };
    }
  }
  return { ok: true, batch: result.batch, invalidEvents: result.invalidEvents };
}

import { type Batch, decodeDatagram, emptyBatch } from '@phosphor/wire';
import type { DatagramIngest, IngestOutcome } from '../receivers/udp/udp-receiver.js';
import { recordsOf } from './event-records.js';
import type { KafkaEventProducer } from './kafka-event-producer.js';

/** Header reported for rejected datagrams (nothing to account per client). */
const NO_HEADER: Batch = emptyBatch();

/**
 * A receiver's ingest: the UDP receiver hands it each datagram instead of the assembly engine. It
 * validates the datagram with the wire codec (same rules, same rejection reasons, HMAC when
 * configured) and produces its events to Kafka, one record per trace. Never throws.
 */
export class KafkaIngest implements DatagramIngest {
  private readonly key: Buffer | undefined;

  constructor(
    hmacKey: string | undefined,
    private readonly producer: KafkaEventProducer,
  ) {
    this.key = hmacKey ? Buffer.from(hmacKey, 'utf8') : undefined;
  }

  ingestDatagram(datagram: Buffer): IngestOutcome {
    const result = decodeDatagram(datagram, this.key);
    if (!result.ok) {
      return {
        ok: false,
        reason: result.reason,
        detail: result.detail,
        acceptedEvents: 0,
        invalidEvents: 0,
        firstInvalidReason: undefined,
        header: NO_HEADER,
      };
    }
    // The bytes go on as they are only when every event in them was valid.
    this.producer.enqueue(recordsOf(result.batch, result.invalidEvents === 0 ? datagram : undefined));
    return {
      ok: true,
      reason: 'malformed',
      detail: '',
      acceptedEvents: result.batch.events.length,
      invalidEvents: result.invalidEvents,
      firstInvalidReason: result.firstInvalidReason,
      header: result.batch,
    };
  }
}

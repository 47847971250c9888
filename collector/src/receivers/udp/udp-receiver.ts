import type { Batch, DatagramRejection } from '@phosphor/wire';
import type { Logger } from 'pino';
import { UdpDatagramEndpoint, type UdpDatagramStats, type UdpReceiverOptions } from './udp-datagram-endpoint.js';

/** What decoding and ingesting one datagram came to (see engine/datagram-decoder.ts). */
export interface IngestOutcome {
  ok: boolean;
  /** Set when !ok. */
  reason: DatagramRejection;
  detail: string;
  acceptedEvents: number;
  invalidEvents: number;
  firstInvalidReason: string | undefined;
  /** The batch header (events not included), for per-client loss; valid until the next datagram (it may be reused). */
  header: Batch;
}

/** Decodes a datagram and ingests its events in one step (the engine); must not throw. */
export interface DatagramIngest {
  ingestDatagram(datagram: Buffer): IngestOutcome;
  /** Holds the spans the next datagrams finish until {@link endBatch} (engines that can). */
  beginBatch?(): void;
  /** Hands on the spans held since {@link beginBatch}. */
  endBatch?(): void;
  /** True when nothing of a datagram's memory is kept once `ingestDatagram` returns (see UdpDatagramEndpoint). */
  readonly releasesDatagrams?: boolean;
}

/** Receiver self counters. */
export interface UdpReceiverStats extends UdpDatagramStats {
  acceptedEvents: number;
  /** Events inside accepted datagrams that failed validation. */
  invalidEvents: number;
}

/**
 * The UDP ingest endpoint: hands each datagram to the engine (which decodes it), drops and counts whatever is
 * oversized, truncated, foreign, of another version, unauthenticated or malformed (with
 * rate-limited warnings), accounts per-client loss, and hands valid batches on.
 */
export class UdpReceiver extends UdpDatagramEndpoint {
  private acceptedEvents = 0;
  private invalidEvents = 0;

  constructor(
    options: UdpReceiverOptions,
    /** Decodes each datagram and ingests its events (the collector engine). */
    private readonly engine: DatagramIngest,
    logger: Logger,
  ) {
    super(options, logger);
  }

  protected override releasesDatagrams(): boolean {
    return this.engine.releasesDatagrams === true;
  }

  protected override beginBatch(): void {
    this.engine.beginBatch?.();
  }

  /** The batch's spans reach the consumers together (one store write for the batch). */
  protected override endBatch(): void {
    try {
      this.engine.endBatch?.();
    } catch (err) {
      this.failed('handing on a batch of spans', err);
    }
  }

  protected handle(msg: Buffer): void {
    let outcome: IngestOutcome;
    try {
      outcome = this.engine.ingestDatagram(msg);
    } catch (err) {
      this.failed('datagram ingest', err);
      return;
    }
    if (!outcome.ok) {
      this.drop(outcome.reason, outcome.detail);
      return;
    }
    if (outcome.invalidEvents > 0) {
      this.invalidEvents += outcome.invalidEvents;
      this.warner.warn(
        'invalid_event',
        `dropped ${outcome.invalidEvents} invalid event(s): ${outcome.firstInvalidReason}`,
      );
    }
    this.acceptedEvents += outcome.acceptedEvents;
    this.accepted(outcome.header);
  }

  /** Current counters. */
  stats(): UdpReceiverStats {
    return { ...this.datagramStats(), acceptedEvents: this.acceptedEvents, invalidEvents: this.invalidEvents };
  }
}

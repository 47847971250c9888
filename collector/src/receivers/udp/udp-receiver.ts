import { createSocket, type Socket } from 'node:dgram';
import type { Batch, DatagramRejection } from '@phosphor/wire';
import type { Logger } from 'pino';
import type { UdpConfig } from '../../config/config.js';
import { RateLimitedWarner } from '../../util/rate-limited-warner.js';
import { bindUdpSocket } from './bind-udp-socket.js';
import { ClientLossTracker } from './client-loss.js';

/** Receiver settings: the `udp:` config section plus logging's warning interval. */
export interface UdpReceiverOptions extends UdpConfig {
  warnIntervalMillis: number;
}

/** What decoding and ingesting one datagram came to (see engine/datagram-decoder.ts). */
export interface IngestOutcome {
  ok: boolean;
  /** Set when !ok. */
  reason: DatagramRejection;
  detail: string;
  acceptedEvents: number;
  invalidEvents: number;
  firstInvalidReason: string | undefined;
  /** The batch header (events not included), for per-client loss. */
  header: Batch;
}

/** Decodes a datagram and ingests its events in one step (the engine); must not throw. */
export interface DatagramIngest {
  ingestDatagram(datagram: Buffer): IngestOutcome;
}

/** Why a datagram was dropped: the wire codec's reasons plus `oversized`. */
export type DropReason = DatagramRejection | 'oversized';

/** Every drop reason, in the order stats list them. */
export const DROP_REASONS: readonly DropReason[] = [
  'oversized',
  'too_short',
  'bad_magic',
  'wrong_version',
  'missing_hmac',
  'bad_hmac',
  'malformed',
];

/** Receiver self counters. */
export interface UdpReceiverStats {
  receivedDatagrams: number;
  receivedBytes: number;
  acceptedDatagrams: number;
  /** Datagrams dropped for any reason (sum of droppedDatagrams). */
  rejectedDatagrams: number;
  droppedDatagrams: Record<DropReason, number>;
  acceptedEvents: number;
  /** Events inside accepted datagrams that failed validation. */
  invalidEvents: number;
  handlerErrors: number;
  /** Effective kernel receive buffer, bytes (0 before start). */
  receiveBufferBytes: number;
}

/**
 * The UDP ingest endpoint: hands each datagram to the engine (which decodes it), drops and counts whatever is
 * oversized, truncated, foreign, of another version, unauthenticated or malformed (with
 * rate-limited warnings), accounts per-client loss, and hands valid batches on.
 */
export class UdpReceiver {
  private socket: Socket | undefined;
  private readonly warner: RateLimitedWarner;
  readonly clients: ClientLossTracker;
  private readonly counters = {
    receivedDatagrams: 0,
    receivedBytes: 0,
    acceptedDatagrams: 0,
    rejectedDatagrams: 0,
    acceptedEvents: 0,
    invalidEvents: 0,
    handlerErrors: 0,
  };
  private readonly dropped = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
  private bufferBytes = 0;

  constructor(
    private readonly options: UdpReceiverOptions,
    /** Decodes each datagram and ingests its events (the collector engine). */
    private readonly engine: DatagramIngest,
    private readonly logger: Logger,
  ) {
    this.warner = new RateLimitedWarner(logger, options.warnIntervalMillis);
    this.clients = new ClientLossTracker(options.maxTrackedClients);
  }

  /** Binds the socket; resolves with the bound port (useful with port 0). */
  async start(): Promise<number> {
    const socket = createSocket({ type: 'udp4', reuseAddr: false });
    this.socket = socket;
    socket.on('message', (msg) => this.receive(msg));
    this.bufferBytes = await bindUdpSocket(socket, this.options, this.warner, this.logger);
    return socket.address().port;
  }

  /** Decodes and dispatches one datagram. Public so benchmarks and tests can bypass the socket. */
  receive(msg: Buffer): void {
    this.counters.receivedDatagrams++;
    this.counters.receivedBytes += msg.length;
    if (msg.length > this.options.maxDatagramBytes) {
      this.drop(
        'oversized',
        `datagram of ${msg.length} bytes exceeds udp.maxDatagramBytes (${this.options.maxDatagramBytes})`,
      );
      return;
    }
    this.ingestInto(this.engine, msg);
  }

  private ingestInto(engine: DatagramIngest, msg: Buffer): void {
    let outcome: IngestOutcome;
    try {
      outcome = engine.ingestDatagram(msg);
    } catch (err) {
      // A bug in the engine must not take ingest down; it is counted and logged at a limited rate.
      this.counters.handlerErrors++;
      this.warner.warn('handler_error', `datagram ingest failed: ${(err as Error).stack ?? String(err)}`);
      return;
    }
    if (!outcome.ok) {
      this.drop(outcome.reason, outcome.detail);
      return;
    }
    this.counters.acceptedDatagrams++;
    if (outcome.invalidEvents > 0) {
      this.counters.invalidEvents += outcome.invalidEvents;
      this.warner.warn(
        'invalid_event',
        `dropped ${outcome.invalidEvents} invalid event(s): ${outcome.firstInvalidReason}`,
      );
    }
    this.counters.acceptedEvents += outcome.acceptedEvents;
    this.clients.observe(outcome.header, Date.now());
  }

  /** Current counters. */
  stats(): UdpReceiverStats {
    return { ...this.counters, droppedDatagrams: { ...this.dropped }, receiveBufferBytes: this.bufferBytes };
  }

  /** Closes the socket. Safe to call twice. */
  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private drop(reason: DropReason, detail: string): void {
    this.dropped[reason]++;
    this.counters.rejectedDatagrams++;
    this.warner.warn(reason, `dropped datagram (${reason}): ${detail}`);
  }
}

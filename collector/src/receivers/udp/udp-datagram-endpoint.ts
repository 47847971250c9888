import { createSocket, type Socket } from 'node:dgram';
import type { Batch, DatagramRejection } from '@phosphor/wire';
import type { Logger } from 'pino';
import type { UdpConfig } from '../../config/config.js';
import { RateLimitedWarner } from '../../util/rate-limited-warner.js';
import { bindUdpSocket } from './bind-udp-socket.js';
import { ClientLossTracker } from './client-loss.js';
import { PolledSocketReader } from './polled-socket-reader.js';

/** Receiver settings: the `udp:` config section plus logging's warning interval. */
export interface UdpReceiverOptions extends UdpConfig {
  warnIntervalMillis: number;
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

/**
 * Datagrams one batch holds at most (see `udp.ingestBatchMillis`): a full batch is ingested at once,
 * which bounds the memory a batch holds at a high rate (256 datagrams of at most 64 KiB).
 */
export const MAX_BATCH_DATAGRAMS = 256;

/** The datagram counters every UDP endpoint keeps, whatever it does with an accepted datagram. */
export interface UdpDatagramStats {
  receivedDatagrams: number;
  receivedBytes: number;
  acceptedDatagrams: number;
  /** Datagrams dropped for any reason (sum of droppedDatagrams). */
  rejectedDatagrams: number;
  droppedDatagrams: Record<DropReason, number>;
  handlerErrors: number;
  /** Effective kernel receive buffer, bytes (0 before start). */
  receiveBufferBytes: number;
}

/**
 * A collector's UDP socket and what every use of it shares: binding (with the kernel receive
 * buffer it could get), the datagram counters, oversized datagrams dropped before anything reads
 * them, drops counted by reason with rate-limited warnings, and per-client loss from each accepted
 * datagram's header. What happens to an accepted datagram — ingested by the engine on this thread,
 * or routed to shard threads — is the subclass's {@link handle}.
 *
 * Datagrams from the socket gather for up to `ingestBatchMillis` (or MAX_BATCH_DATAGRAMS) and are
 * then handled one after the other, between {@link beginBatch} and {@link endBatch}: the code that
 * handles them runs with warm caches instead of after each datagram's system calls, and a
 * subclass can hand on what a whole batch produced at once. Where the platform allows it
 * ({@link PolledSocketReader}), the first datagram of a burst arrives as a `'message'` event and
 * pauses the socket's own receiving; the rest gather in the kernel's receive buffer, and every
 * `ingestBatchMillis` whatever is queued there is read in one go (sooner while the buffer fills
 * fast). A poll that finds nothing resumes the `'message'` events, so an idle collector is woken by
 * the next datagram, not by a timer.
 */
export abstract class UdpDatagramEndpoint {
  private socket: Socket | undefined;
  protected readonly warner: RateLimitedWarner;
  readonly clients: ClientLossTracker;
  protected readonly counters = {
    receivedDatagrams: 0,
    receivedBytes: 0,
    acceptedDatagrams: 0,
    rejectedDatagrams: 0,
    handlerErrors: 0,
  };
  private readonly dropped = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
  private bufferBytes = 0;
  /** Datagrams taken off the socket and not yet handled (see ingestBatchMillis). */
  private readonly batch: Buffer[] = [];
  private batchTimer: NodeJS.Timeout | undefined;
  /** The wall clock read once for the batch being handled (NaN outside one): its datagrams arrived together. */
  private batchMillis = Number.NaN;
  /** Reads queued datagrams without a callback each; undefined where unavailable or with `ingestBatchMillis` 0. */
  private reader: PolledSocketReader | undefined;
  /** True while the socket's own receiving is paused and the batch timer polls the kernel's queue. */
  private polling = false;
  /** A poll scheduled for the next event-loop turn (the queue was filling fast). */
  private pollSoon: NodeJS.Immediate | undefined;

  constructor(
    protected readonly options: UdpReceiverOptions,
    protected readonly logger: Logger,
  ) {
    this.warner = new RateLimitedWarner(logger, options.warnIntervalMillis);
    this.clients = new ClientLossTracker(options.maxTrackedClients);
  }

  /** Binds the socket; resolves with the bound port (useful with port 0). */
  async start(): Promise<number> {
    const socket = createSocket({ type: 'udp4', reuseAddr: false });
    this.socket = socket;
    socket.on('message', (msg) => this.enqueue(msg));
    this.bufferBytes = await bindUdpSocket(socket, this.options, this.warner, this.logger);
    this.reader = this.options.ingestBatchMillis > 0 ? PolledSocketReader.open(socket) : undefined;
    return socket.address().port;
  }

  /** Counts one datagram and hands it on unless oversized. Public so tests and benchmarks can bypass the socket. */
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
    this.handle(msg);
  }

  /** Closes the socket, then handles the datagrams still gathered. Safe to call twice. */
  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    // What waits in the kernel was sent to a collector that was still listening: read it first.
    if (this.polling) this.readQueued(Number.POSITIVE_INFINITY);
    this.polling = false;
    this.reader = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    if (this.pollSoon) clearImmediate(this.pollSoon);
    this.pollSoon = undefined;
    this.handleGathered();
  }

  /** A datagram from the socket: handled now (`ingestBatchMillis` 0), or when its batch is due or full. */
  private enqueue(msg: Buffer): void {
    const delay = this.options.ingestBatchMillis;
    if (delay === 0) {
      this.receive(msg);
      return;
    }
    const batch = this.batch;
    batch.push(msg);
    if (batch.length >= MAX_BATCH_DATAGRAMS) {
      this.handleGathered();
    } else if (batch.length === 1) {
      // One timer, re-armed by the first datagram of each batch.
      if (this.batchTimer === undefined) {
        this.batchTimer = setTimeout(this.handleBatch, delay);
        this.batchTimer.unref();
      } else {
        this.batchTimer.refresh();
      }
    }
    if (this.reader !== undefined && !this.polling) this.startPolling(this.reader);
  }

  /**
   * The next datagrams wait in the kernel until the batch timer reads them all at once. A paused
   * socket no longer keeps the process alive, so the timer does meanwhile, as the socket would.
   */
  private startPolling(reader: PolledSocketReader): void {
    reader.pause();
    this.polling = true;
    if (this.batchTimer === undefined) this.batchTimer = setTimeout(this.handleBatch, this.options.ingestBatchMillis);
    else if (this.batch.length === 0) this.batchTimer.refresh();
    this.batchTimer.ref();
  }

  /** Back to the socket's own receiving: woken by the next datagram, and no timer keeps the process alive. */
  private stopPolling(): void {
    this.polling = false;
    this.reader?.resume();
    this.batchTimer?.unref();
  }

  /** The batch timer's callback (bound): polls the socket's queue while polling, then handles the batch. */
  private readonly handleBatch = (): void => {
    this.pollSoon = undefined;
    if (!this.polling) {
      this.handleGathered();
      return;
    }
    // One batch per turn of the event loop, so an HTTP query or a timer waits for one batch at most.
    const bytes = this.readQueued(MAX_BATCH_DATAGRAMS);
    if (!this.polling) return;
    if (bytes === 0) {
      // Nothing came since the last poll: back to being woken by the next datagram.
      this.stopPolling();
    } else if (bytes === Number.POSITIVE_INFINITY || bytes * 2 > this.bufferBytes / 4) {
      // The poll stopped at its limit, or the queue filled a good part of the kernel's buffer
      // (a datagram takes about twice its size there) within one interval: poll again at once.
      this.pollSoon = setImmediate(this.handleBatch);
    } else {
      this.batchTimer?.refresh();
    }
  };

  /**
   * Reads up to `max` datagrams queued on the socket, handling them a batch at a time (with what
   * was gathered before). Returns the bytes read, POSITIVE_INFINITY when it stopped at `max` with
   * more perhaps waiting. A socket error is warned about and resumes the socket's own receiving.
   */
  private readQueued(max: number): number {
    const reader = this.reader;
    const batch = this.batch;
    let bytes = 0;
    let left = max;
    while (reader !== undefined && left > 0) {
      const before = batch.length;
      const room = Math.min(left, MAX_BATCH_DATAGRAMS - before);
      const read = reader.read(batch, room);
      for (let i = before; i < batch.length; i++) bytes += (batch[i] as Buffer).length;
      if (read instanceof Error) {
        this.warner.warn('socket_error', `UDP socket read failed: ${read.message}`);
        this.stopPolling();
        this.handleGathered();
        return bytes;
      }
      left -= read;
      this.handleGathered();
      if (this.releasesDatagrams()) reader.recycle();
      // Fewer than asked: the queue is empty.
      if (read < room) return bytes;
    }
    return Number.POSITIVE_INFINITY;
  }

  /** Handles the gathered datagrams in arrival order. */
  private handleGathered(): void {
    const batch = this.batch;
    if (batch.length === 0) return;
    this.beginBatch();
    this.batchMillis = Date.now();
    try {
      for (let i = 0; i < batch.length; i++) this.receive(batch[i] as Buffer);
    } finally {
      batch.length = 0;
      this.batchMillis = Number.NaN;
      this.endBatch();
    }
  }

  /**
   * True when {@link handle} keeps nothing of a datagram's memory once it returns (it copies what it
   * keeps), so the socket reader may reuse that memory for the next datagrams. False by default.
   */
  protected releasesDatagrams(): boolean {
    return false;
  }

  /** Called before a batch of datagrams is handled (nothing by default). */
  protected beginBatch(): void {}

  /** Called after a batch of datagrams was handled; must not throw (nothing by default). */
  protected endBatch(): void {}

  /** Decodes or routes one datagram of acceptable size; reports through {@link accepted}, {@link drop}, {@link failed}. */
  protected abstract handle(msg: Buffer): void;

  /** The shared counters (the subclass adds its own). */
  protected datagramStats(): UdpDatagramStats {
    const c = this.counters;
    return {
      receivedDatagrams: c.receivedDatagrams,
      receivedBytes: c.receivedBytes,
      acceptedDatagrams: c.acceptedDatagrams,
      rejectedDatagrams: c.rejectedDatagrams,
      droppedDatagrams: { ...this.dropped },
      handlerErrors: c.handlerErrors,
      receiveBufferBytes: this.bufferBytes,
    };
  }

  /** Counts an accepted datagram and its header's place in its client's sequence. */
  protected accepted(header: Batch): void {
    this.counters.acceptedDatagrams++;
    const batchMillis = this.batchMillis;
    this.clients.observe(header, Number.isNaN(batchMillis) ? Date.now() : batchMillis);
  }

  /** A bug downstream must not take ingest down: it is counted and logged at a limited rate. */
  protected failed(what: string, err: unknown): void {
    this.counters.handlerErrors++;
    this.warner.warn('handler_error', `${what} failed: ${(err as Error).stack ?? String(err)}`);
  }

  protected drop(reason: DropReason, detail: string): void {
    this.dropped[reason]++;
    this.counters.rejectedDatagrams++;
    this.warner.warn(reason, `dropped datagram (${reason}): ${detail}`);
  }
}

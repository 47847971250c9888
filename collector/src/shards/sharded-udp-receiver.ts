import { createSocket, type Socket } from 'node:dgram';
import type { Logger } from 'pino';
import { bindUdpSocket } from '../receivers/udp/bind-udp-socket.js';
import { ClientLossTracker } from '../receivers/udp/client-loss.js';
import { DROP_REASONS, type DropReason, type UdpReceiverOptions } from '../receivers/udp/udp-receiver.js';
import { RateLimitedWarner } from '../util/rate-limited-warner.js';
import { EventRouter } from './event-router.js';
import type { ShardHost } from './shard-host.js';
import { ShardOutbox } from './shard-outbox.js';

/**
 * How long routed frames may wait before they are handed to their shards (a shard's 64 KiB buffer
 * that fills is handed on at once). Each hand-off that finds a shard idle wakes its thread — a
 * futex wake, a turn of its event loop, cold caches — which measured as much CPU as decoding a few
 * dozen events; waiting a few milliseconds lets a shard take hundreds of events per wake-up. Spans
 * wait seconds for their events (`assembly.spanTimeoutMillis`), so this delay is not seen.
 */
export const HANDOFF_DELAY_MILLIS = 5;

/** Datagram counters of the receiving thread (events are counted by the shard that decodes them). */
export interface ShardedReceiverStats {
  receivedDatagrams: number;
  receivedBytes: number;
  acceptedDatagrams: number;
  rejectedDatagrams: number;
  droppedDatagrams: Record<DropReason, number>;
  /** Event frames routed to shards. */
  routedEvents: number;
  handlerErrors: number;
  receiveBufferBytes: number;
}

/**
 * The UDP endpoint of a sharded collector, on the main thread: checks each datagram (rejections
 * counted here, once, by reason), accounts per-client loss (every datagram of a tracer passes
 * here, so sequence gaps and tracer drop counters are seen once), and routes each event's bytes
 * to the shard owning its trace. Frames are coalesced per shard and handed on HANDOFF_DELAY_MILLIS
 * after the first of them was routed, or when a shard's buffer is full (one ring record per shard
 * per hand-off, not per datagram).
 */
export class ShardedUdpReceiver {
  private socket: Socket | undefined;
  private readonly warner: RateLimitedWarner;
  readonly clients: ClientLossTracker;
  private readonly router: EventRouter;
  private readonly outbox: ShardOutbox;
  private flushScheduled = false;
  private readonly counters = {
    receivedDatagrams: 0,
    receivedBytes: 0,
    acceptedDatagrams: 0,
    rejectedDatagrams: 0,
    routedEvents: 0,
    handlerErrors: 0,
  };
  private readonly dropped = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
  private bufferBytes = 0;

  constructor(
    private readonly options: UdpReceiverOptions,
    host: ShardHost,
    private readonly logger: Logger,
  ) {
    this.warner = new RateLimitedWarner(logger, options.warnIntervalMillis);
    this.clients = new ClientLossTracker(options.maxTrackedClients);
    this.outbox = new ShardOutbox(host.shardCount, (shard, datagram, frames) => host.deliver(shard, datagram, frames));
    this.router = new EventRouter(host.owners, this.outbox, options.hmacKey);
  }

  /** Binds the socket; resolves with the bound port (useful with port 0). */
  async start(): Promise<number> {
    const socket = createSocket({ type: 'udp4', reuseAddr: false });
    this.socket = socket;
    socket.on('message', (msg) => this.receive(msg));
    this.bufferBytes = await bindUdpSocket(socket, this.options, this.warner, this.logger);
    return socket.address().port;
  }

  /** Checks and routes one datagram. Public so tests and benchmarks can bypass the socket. */
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
    let result: ReturnType<EventRouter['route']>;
    try {
      result = this.router.route(msg);
    } catch (err) {
      this.counters.handlerErrors++;
      this.warner.warn('handler_error', `routing failed: ${(err as Error).stack ?? String(err)}`);
      return;
    }
    if (!result.ok) {
      this.drop(result.reason, result.detail);
      return;
    }
    this.counters.acceptedDatagrams++;
    this.counters.routedEvents += result.events;
    this.clients.observe(result.header, Date.now());
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setTimeout(() => this.flush(), HANDOFF_DELAY_MILLIS).unref();
    }
  }

  /** Hands routed frames to their shards now. */
  flush(): void {
    this.flushScheduled = false;
    this.outbox.flush();
  }

  stats(): ShardedReceiverStats {
    return { ...this.counters, droppedDatagrams: { ...this.dropped }, receiveBufferBytes: this.bufferBytes };
  }

  /** Closes the socket and hands on what is buffered. Safe to call twice. */
  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
    this.flush();
  }

  private drop(reason: DropReason, detail: string): void {
    this.dropped[reason]++;
    this.counters.rejectedDatagrams++;
    this.warner.warn(reason, `dropped datagram (${reason}): ${detail}`);
  }
}

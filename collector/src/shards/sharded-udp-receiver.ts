import type { Logger } from 'pino';
import {
  UdpDatagramEndpoint,
  type UdpDatagramStats,
  type UdpReceiverOptions,
} from '../receivers/udp/udp-datagram-endpoint.js';
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
export interface ShardedReceiverStats extends UdpDatagramStats {
  /** Events routed to shards (a frame standing for two events counts two). */
  routedEvents: number;
}

/**
 * The UDP endpoint of a sharded collector, on the main thread: checks each datagram (rejections
 * counted here, once, by reason), accounts per-client loss (every datagram of a tracer passes
 * here, so sequence gaps and tracer drop counters are seen once), and routes each event's bytes
 * to the shard owning its trace. Frames are coalesced per shard and handed on HANDOFF_DELAY_MILLIS
 * after the first of them was routed, or when a shard's buffer is full (one ring record per shard
 * per hand-off, not per datagram).
 */
export class ShardedUdpReceiver extends UdpDatagramEndpoint {
  private readonly router: EventRouter;
  private readonly outbox: ShardOutbox;
  private flushScheduled = false;
  private routedEvents = 0;

  constructor(options: UdpReceiverOptions, host: ShardHost, logger: Logger) {
    super(options, logger);
    this.outbox = new ShardOutbox(host.shardCount, (shard, datagram, frames) => host.deliver(shard, datagram, frames));
    this.router = new EventRouter(host.owners, this.outbox, options.hmacKey);
  }

  /** The outbox copies each routed range into its shard's buffer: nothing of a datagram is kept. */
  protected override releasesDatagrams(): boolean {
    return true;
  }

  /** Checks one datagram and routes its events' bytes to their shards. */
  protected handle(msg: Buffer): void {
    let result: ReturnType<EventRouter['route']>;
    try {
      result = this.router.route(msg);
    } catch (err) {
      this.failed('routing', err);
      return;
    }
    if (!result.ok) {
      this.drop(result.reason, result.detail);
      return;
    }
    this.routedEvents += result.events;
    this.accepted(result.header);
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
    return { ...this.datagramStats(), routedEvents: this.routedEvents };
  }

  /** Closes the socket and hands on what is buffered. Safe to call twice. */
  override async close(): Promise<void> {
    await super.close();
    this.flush();
  }
}

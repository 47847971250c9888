import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns';
import { isIP } from 'node:net';
import type { TracerErrorCode } from '../errors.js';
import type { CollectorAddress } from '../options.js';

/**
 * Sends finished datagrams to a collector over UDP. Fire and forget by design: nothing here ever
 * throws into the caller or waits for the network; every failure is reported through
 * {@link TransportHooks.failed} with the number of events lost, and the tracer counts them.
 *
 * Datagrams go to the first collector whose address is known; later entries are fail-overs for
 * when an earlier name does not resolve. Spreading datagrams round-robin would split one hop's
 * four events across collectors that each see half a span.
 *
 * Each collector gets its own *connected* UDP socket: sends skip dgram's per-send address lookup
 * and the kernel's per-send route lookup, and a collector that is down on a reachable host is
 * noticed (the kernel reports ICMP port-unreachable as ECONNREFUSED on the next send, counted as
 * a send error) instead of datagrams silently vanishing.
 */

/** Where the transport reports outcomes (called from socket callbacks, never re-entrantly from `send`). */
export interface TransportHooks {
  /** `datagram` may be reused by the caller from now on. */
  sent(events: number, bytes: number, datagram: Buffer): void;
  /** `datagram` may be reused by the caller from now on. */
  failed(events: number, code: TracerErrorCode, message: string, datagram: Buffer): void;
  /**
   * The collector refused a datagram reported `sent` earlier (an ICMP port-unreachable noticed by
   * the socket): the most recently sent one, of `events` events and `bytes` bytes, was lost.
   */
  refused(events: number, bytes: number, message: string): void;
}

/**
 * Datagrams waiting for the socket, a first DNS answer or the socket's connect. 256 datagrams are
 * ≈ 350 KB at the 1400-byte default — the most the transport holds; past it datagrams are dropped
 * and counted, so an unreachable or slow collector cannot grow the service's memory.
 */
export const MAX_PENDING_DATAGRAMS = 256;
/** Bytes of datagrams waiting at most: with 64 KiB loopback datagrams the count limit alone would allow 16 MiB. */
export const MAX_PENDING_BYTES = 4 * 1024 * 1024;
/** Re-resolve collector names this often, so a moved collector is found without a restart. */
const DNS_REFRESH_MILLIS = 30_000;
/** After a failed lookup, wait this long before the next one (lookups use libuv's small thread pool). */
const DNS_RETRY_MILLIS = 1_000;

interface CollectorState {
  readonly host: string;
  readonly port: number;
  address: string | undefined;
  family: 4 | 6;
  lookingUp: boolean;
  /** When the address should be looked up again (epoch ms); 0 for IP literals. */
  refreshAtMillis: number;
  lastLookupError: string | undefined;
  /** Socket connected (or connecting) to `address`. */
  socket: Socket | undefined;
  connected: boolean;
}

interface PendingDatagram {
  datagram: Buffer;
  events: number;
}

/** Sends datagrams over UDP to the configured collectors. */
export class UdpTransport {
  private readonly collectors: CollectorState[];
  private readonly hooks: TransportHooks;
  private inFlight = 0;
  private pending: PendingDatagram[] = [];
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  private closing: Promise<void> | undefined;
  /** The last datagram reported sent (events, bytes), until a refusal is blamed on it. */
  private lastSentEvents = 0;
  private lastSentBytes = 0;

  private readonly maxPendingDatagrams: number;

  /** `maxDatagramBytes` bounds what waits: at most {@link MAX_PENDING_BYTES} (and {@link MAX_PENDING_DATAGRAMS}). */
  constructor(collectors: readonly CollectorAddress[], hooks: TransportHooks, maxDatagramBytes = 0) {
    this.hooks = hooks;
    this.maxPendingDatagrams =
      maxDatagramBytes > 0
        ? Math.max(1, Math.min(MAX_PENDING_DATAGRAMS, Math.floor(MAX_PENDING_BYTES / maxDatagramBytes)))
        : MAX_PENDING_DATAGRAMS;
    this.collectors = collectors.map((c) => {
      const family = isIP(c.host);
      return {
        host: c.host,
        port: c.port,
        address: family ? c.host : undefined,
        family: family === 6 ? 6 : 4,
        lookingUp: false,
        refreshAtMillis: family ? Number.POSITIVE_INFINITY : 0,
        lastLookupError: undefined,
        socket: undefined,
        connected: false,
      };
    });
    for (const collector of this.collectors) this.maybeLookup(collector);
  }

  /** Datagrams handed to the socket whose send has not completed, plus those waiting for DNS. */
  get inFlightDatagrams(): number {
    return this.inFlight + this.pending.length;
  }

  /** Sends `datagram` (holding `events` events) to the first collector with a known address. */
  send(datagram: Buffer, events: number): void {
    if (this.closed) {
      this.hooks.failed(events, 'TRC_ERR_TRANSPORT_SEND', 'transport is closed', datagram);
      return;
    }
    if (this.inFlight + this.pending.length >= this.maxPendingDatagrams) {
      this.hooks.failed(
        events,
        'TRC_ERR_TRANSPORT_BACKLOG',
        `${this.maxPendingDatagrams} datagrams already waiting`,
        datagram,
      );
      return;
    }
    for (const collector of this.collectors) this.maybeLookup(collector);
    const target = this.collectors.find((c) => c.address !== undefined);
    if (target) {
      this.sendTo(target, datagram, events);
      return;
    }
    if (this.collectors.some((c) => c.lookingUp)) {
      this.pending.push({ datagram, events });
      return;
    }
    this.hooks.failed(events, 'TRC_ERR_TRANSPORT_DNS', this.lookupErrors(), datagram);
  }

  /** Resolves once every datagram handed over so far has been sent or counted as failed. */
  idle(): Promise<void> {
    if (this.inFlightDatagrams === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Waits for in-flight sends, then closes the sockets. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= this.idle().then(() => {
      this.closed = true;
      for (const collector of this.collectors) this.disconnect(collector);
    });
    return this.closing;
  }

  private sendTo(target: CollectorState, datagram: Buffer, events: number): void {
    const socket = target.socket;
    if (!target.connected || socket === undefined) {
      this.pending.push({ datagram, events });
      this.connect(target);
      return;
    }
    this.inFlight++;
    try {
      socket.send(datagram, (err) => this.completed(err, events, datagram));
    } catch (err) {
      // dgram throws synchronously for some argument and state problems; still never the caller's problem.
      this.completed(err as Error, events, datagram);
    }
  }

  private connect(target: CollectorState): void {
    if (target.socket !== undefined || target.address === undefined || this.closed) return;
    const socket = createSocket(target.family === 6 ? 'udp6' : 'udp4');
    target.socket = socket;
    // Asynchronous socket errors must not crash the service. Before the connection is up they
    // fail the waiting datagrams; afterwards failed sends are counted through their callbacks.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (target.socket !== socket) return;
      if (target.connected) {
        // The kernel reports an ICMP port-unreachable for an earlier datagram on the connected
        // socket: read here when the loop polls the socket before the next send would fail with it.
        if (err.code === 'ECONNREFUSED' && this.lastSentEvents > 0) {
          const events = this.lastSentEvents;
          this.lastSentEvents = 0;
          this.hooks.refused(
            events,
            this.lastSentBytes,
            `ECONNREFUSED: ${target.host}:${target.port} refused a datagram`,
          );
        }
        return;
      }
      target.socket = undefined;
      socket.close();
      this.failPending('TRC_ERR_TRANSPORT_SEND', `connect ${target.host}:${target.port}: ${err.code ?? err.message}`);
    });
    socket.unref();
    socket.connect(target.port, target.address, () => {
      if (target.socket !== socket) return;
      target.connected = true;
      this.releasePending();
    });
  }

  private disconnect(target: CollectorState): void {
    const socket = target.socket;
    target.socket = undefined;
    target.connected = false;
    if (socket === undefined) return;
    try {
      socket.close();
    } catch {
      // Already closed after a failed connect: nothing left to release.
    }
  }

  private completed(err: Error | null | undefined, events: number, datagram: Buffer): void {
    this.inFlight--;
    if (err) {
      const code = (err as NodeJS.ErrnoException).code;
      this.hooks.failed(events, 'TRC_ERR_TRANSPORT_SEND', `${code ?? 'error'}: ${err.message}`, datagram);
    } else {
      this.lastSentEvents = events;
      this.lastSentBytes = datagram.length;
      this.hooks.sent(events, datagram.length, datagram);
    }
    this.settleIdle();
  }

  private settleIdle(): void {
    if (this.inFlightDatagrams !== 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private maybeLookup(collector: CollectorState): void {
    if (collector.lookingUp || Date.now() < collector.refreshAtMillis) return;
    collector.lookingUp = true;
    lookup(collector.host, (err, address, family) => {
      collector.lookingUp = false;
      if (err) {
        collector.lastLookupError = `${collector.host}: ${err.code ?? err.message}`;
        collector.refreshAtMillis = Date.now() + DNS_RETRY_MILLIS;
        // Keep a previously known address: a DNS hiccup should not stop a working collector.
      } else {
        if (collector.address !== address) this.disconnect(collector);
        collector.address = address;
        collector.family = family === 6 ? 6 : 4;
        collector.lastLookupError = undefined;
        collector.refreshAtMillis = Date.now() + DNS_REFRESH_MILLIS;
      }
      this.releasePending();
    });
  }

  private releasePending(): void {
    if (this.pending.length === 0) return;
    const target = this.collectors.find((c) => c.address !== undefined);
    if (target === undefined) {
      if (!this.collectors.some((c) => c.lookingUp)) this.failPending('TRC_ERR_TRANSPORT_DNS', this.lookupErrors());
      return;
    }
    if (!target.connected) {
      this.connect(target);
      return;
    }
    const waiting = this.pending;
    this.pending = [];
    for (const { datagram, events } of waiting) this.sendTo(target, datagram, events);
    this.settleIdle();
  }

  private failPending(code: TracerErrorCode, message: string): void {
    const waiting = this.pending;
    this.pending = [];
    for (const { datagram, events } of waiting) this.hooks.failed(events, code, message, datagram);
    this.settleIdle();
  }

  private lookupErrors(): string {
    return this.collectors.map((c) => c.lastLookupError ?? `${c.host}: unresolved`).join('; ');
  }
}

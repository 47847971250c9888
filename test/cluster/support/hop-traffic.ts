/**
 * Traffic for cluster tests and the cluster benchmark: RPC hops whose caller events (REQ, REP) and callee
 * events (IN, OUT) come from two different tracers sending to two DIFFERENT receivers, so a hop is only
 * whole if Kafka brings both halves to the same assembler. Each hop is built afresh (new ids, current
 * timestamps); several traces share a datagram, as with a real tracer.
 */

import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import type { Batch, TraceEvent } from '@phosphor/wire';
import { encodeBatch } from '../../../wire/test/support/reference-encoder.js';

/** One generated hop, for checking it later in Elasticsearch. */
export interface SentHop {
  traceId: string;
  spanId: string;
  /** When its last datagram left, ms (performance.now()). */
  sentAtMillis: number;
}

/** Where the two halves of every hop go. */
export interface HopTrafficOptions {
  /** UDP port of the receiver the callers send to. */
  callerPort: number;
  /** UDP port of the receiver the callees send to. */
  calleePort: number;
  /** Hops per second. */
  hopsPerSecond: number;
  /** Hops per datagram (each a different trace). */
  hopsPerDatagram?: number;
}

let traceCounter = BigInt(Date.now()) * 1000n;

function header(tracerId: string, sequence: number, service: string): Omit<Batch, 'events'> {
  return {
    tracerId,
    sequence,
    service,
    hostname: `${service}-host`,
    sentAtMicros: Date.now() * 1000,
    drops: { bufferFull: 0, tooLarge: 0, sendError: 0, sampledOut: 0 },
  };
}

/** Sends hops at a steady rate until stopped; every hop sent is listed in `sent`. */
export class HopTraffic {
  readonly sent: SentHop[] = [];
  private readonly socket: Socket = createSocket('udp4');
  private timer: NodeJS.Timeout | undefined;
  private callerSequence = 0;
  private calleeSequence = 0;
  private readonly callerTracer = `caller-${randomBytes(4).toString('hex')}`;
  private readonly calleeTracer = `callee-${randomBytes(4).toString('hex')}`;
  private owed = 0;
  private last = 0;
  /** Datagrams sent (each carries 2 events per hop). */
  datagrams = 0;

  constructor(private options: HopTrafficOptions) {}

  /** Points the halves at other receivers (a receiver restarted elsewhere). */
  retarget(callerPort: number, calleePort: number): void {
    this.options = { ...this.options, callerPort, calleePort };
  }

  start(): void {
    this.last = performance.now();
    this.timer = setInterval(() => this.tick(), 10);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await new Promise((r) => setTimeout(r, 50));
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  /** Events sent: four per hop. */
  get sentEvents(): number {
    return this.sent.length * 4;
  }

  private tick(): void {
    const now = performance.now();
    this.owed += ((now - this.last) / 1000) * this.options.hopsPerSecond;
    this.last = now;
    const perDatagram = this.options.hopsPerDatagram ?? 4;
    while (this.owed >= perDatagram) {
      this.owed -= perDatagram;
      this.sendHops(perDatagram);
    }
  }

  private sendHops(count: number): void {
    const callerEvents: TraceEvent[] = [];
    const calleeEvents: TraceEvent[] = [];
    const nowMicros = Date.now() * 1000;
    const hops: SentHop[] = [];
    for (let i = 0; i < count; i++) {
      traceCounter++;
      const traceId = traceCounter.toString();
      const spanId = randomBytes(8).toString('hex');
      const base = { traceId, spanId, from: 'gateway', fromEndpoint: 'GET /quote', to: 'quote', toEndpoint: 'Quote' };
      const req = nowMicros - 900;
      callerEvents.push(
        { ...base, type: 'REQ', timestampMicros: req, hostname: 'gateway-host' },
        { ...base, type: 'REP', timestampMicros: req + 800, durationMicros: 800, hostname: 'gateway-host' },
      );
      calleeEvents.push(
        { ...base, type: 'IN', timestampMicros: req + 100, hostname: 'quote-host' },
        { ...base, type: 'OUT', timestampMicros: req + 700, durationMicros: 600, hostname: 'quote-host' },
      );
      hops.push({ traceId, spanId, sentAtMillis: 0 });
    }
    const callerDatagram = encodeBatch({
      ...header(this.callerTracer, this.callerSequence++, 'gateway'),
      events: callerEvents,
    });
    const calleeDatagram = encodeBatch({
      ...header(this.calleeTracer, this.calleeSequence++, 'quote'),
      events: calleeEvents,
    });
    this.socket.send(callerDatagram, this.options.callerPort, '127.0.0.1');
    this.socket.send(calleeDatagram, this.options.calleePort, '127.0.0.1');
    this.datagrams += 2;
    const at = performance.now();
    for (const hop of hops) {
      hop.sentAtMillis = at;
      this.sent.push(hop);
    }
  }
}

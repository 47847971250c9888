import type { TraceEvent } from '@phosphor/wire';
import { createTracer, type Tracer, type TracerOptions } from '../../src/index.js';
import { UdpReceiver } from './udp-receiver.js';

/** Tracers for named services, all sending to one real UDP receiver. */
export class TracedServices {
  readonly receiver: UdpReceiver;
  private readonly tracers: Tracer[] = [];

  private constructor(receiver: UdpReceiver) {
    this.receiver = receiver;
  }

  static async start(): Promise<TracedServices> {
    return new TracedServices(await UdpReceiver.start());
  }

  tracer(service: string, options: Omit<TracerOptions, 'service'> = {}): Tracer {
    const tracer = createTracer({
      service,
      hostname: `${service}-host`,
      collectors: [this.receiver.address],
      ...options,
    });
    this.tracers.push(tracer);
    return tracer;
  }

  /** Flushes every tracer and waits until `count` events arrived. */
  async events(count: number): Promise<TraceEvent[]> {
    await Promise.all(this.tracers.map((t) => t.flush()));
    await this.receiver.waitForEvents(count);
    return this.receiver.events;
  }

  async close(): Promise<void> {
    await Promise.all(this.tracers.map((t) => t.close()));
    await this.receiver.close();
  }
}

/** The one event of `type` recorded by `service` (caller for REQ/REP, callee for IN/OUT). */
export function eventOf(events: TraceEvent[], type: TraceEvent['type'], service: string): TraceEvent {
  const matches = events.filter(
    (e) => e.type === type && (type === 'REQ' || type === 'REP' ? e.from : e.to) === service,
  );
  if (matches.length !== 1) throw new Error(`expected one ${type} of ${service}, got ${matches.length}`);
  return matches[0] as TraceEvent;
}

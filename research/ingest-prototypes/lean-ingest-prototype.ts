/**
 * A stripped-down ingest path, for measuring how fast ingest can be in JavaScript at all — not the
 * collector, and not used by it. It does the minimum the real path does per event, in the leanest
 * form we know: decode straight into one reused scratch record (no event objects, no validation),
 * intern names and ids with the wire decoder's own table, join the hop in a Map, keep spans in
 * preallocated columns of a ring (no span objects; the oldest span is overwritten), index traces,
 * and count both latencies into flat HDR-layout arrays. It leaves out what the collector also does
 * (validation, tags, zones, error descriptions, late and duplicate bookkeeping beyond a bit mask,
 * per-trace skew propagation, timeouts, service index, tail, self counters), so its cost per event
 * is a lower bound for any JavaScript implementation of the collector's work.
 */
import { InternTable } from '@phosphor/wire';
import { IngestPrototypeBase } from './ingest-prototype-base.js';

/** Same table sizes as the wire decoder. */
const NAME_SLOTS = 8192;
const ID_SLOTS = 4096;
/** Event type numbers on the wire (phosphor.proto): REQ 1, IN 2, OUT 3, REP 4. */
const REQ = 1;
const REP = 4;
const OUT = 3;
const ALL_EVENTS = 0b1111;

/** Counters to check the prototype did the work. */
export interface LeanStats {
  events: number;
  completeSpans: number;
  overwrittenSpans: number;
  storedTraces: number;
}

export class LeanIngestPrototype extends IngestPrototypeBase {
  private readonly names = new InternTable(NAME_SLOTS);
  private readonly ids = new InternTable(ID_SLOTS);
  // The event being decoded.
  private type = 0;
  private traceId = '';
  private spanId = '';
  private parentSpanId = '';
  private from = '';
  private fromEndpoint = '';
  private to = '';
  private toEndpoint = '';
  private hostname = '';
  private errorCode = '';
  private timestampMicros = 0;
  private durationMicros = 0;
  // Span columns (a ring of `capacity` slots).
  private readonly traceIds: string[];
  private readonly spanIds: string[];
  private readonly parentSpanIds: string[];
  private readonly hops = new Map<string, number>();
  /** Newest slot and span count per trace. */
  private readonly traces = new Map<string, { newest: number; spans: number }>();
  private readonly counters: LeanStats = { events: 0, completeSpans: 0, overwrittenSpans: 0, storedTraces: 0 };

  constructor(capacity: number) {
    super(capacity);
    const strings = () => new Array<string>(capacity).fill('');
    this.traceIds = strings();
    this.spanIds = strings();
    this.parentSpanIds = strings();
  }

  stats(): LeanStats {
    return { ...this.counters, storedTraces: this.traces.size };
  }

  protected event(start: number, end: number): void {
    const buf = this.buf;
    const view = this.view;
    this.durationMicros = 0;
    this.errorCode = '';
    this.parentSpanId = '';
    let pos = start;
    while (pos < end) {
      const tag = buf[pos++] as number;
      const field = tag >>> 3;
      const wireType = tag & 7;
      if (wireType === 2) {
        // Every string the bench sends is shorter than 128 bytes: a one-byte length.
        const length = buf[pos++] as number;
        const valueStart = pos;
        const e = pos + length;
        pos = e;
        switch (field) {
          case 2:
            this.traceId = this.ids.get(buf, view, valueStart, e);
            break;
          case 3:
            this.spanId = this.ids.get(buf, view, valueStart, e);
            break;
          case 4:
            this.parentSpanId = this.ids.get(buf, view, valueStart, e);
            break;
          case 5:
            this.from = this.names.get(buf, view, valueStart, e);
            break;
          case 6:
            this.fromEndpoint = this.names.get(buf, view, valueStart, e);
            break;
          case 7:
            this.to = this.names.get(buf, view, valueStart, e);
            break;
          case 8:
            this.toEndpoint = this.names.get(buf, view, valueStart, e);
            break;
          case 10:
            this.hostname = this.names.get(buf, view, valueStart, e);
            break;
          case 13:
            this.errorCode = this.names.get(buf, view, valueStart, e);
            break;
        }
      } else if (wireType === 1) {
        const value = view.getFloat64(pos, true);
        if (field === 9) this.timestampMicros = value;
        else if (field === 12) this.durationMicros = value;
        pos += 8;
      } else if (wireType === 0) {
        const value = this.varint(pos);
        pos = this.afterVarint;
        if (field === 1) this.type = value;
      } else pos += 4;
    }
    this.join();
  }

  private join(): void {
    this.counters.events++;
    let slot = this.hops.get(this.spanId);
    if (slot === undefined || this.traceIds[slot] !== this.traceId) slot = this.newSpan();
    const bit = 1 << (this.type - 1);
    const mask = this.masks[slot] as number;
    if ((mask & bit) !== 0) return;
    this.masks[slot] = mask | bit;
    this.times[slot * 4 + this.type - 1] = this.timestampMicros;
    if (this.type === REQ || this.type === REP) {
      this.froms[slot] = this.from;
      this.fromEndpoints[slot] = this.fromEndpoint;
      this.clientHosts[slot] = this.hostname;
      if (this.type === REP) this.durations[slot * 2] = this.durationMicros;
    } else {
      this.tos[slot] = this.to;
      this.toEndpoints[slot] = this.toEndpoint;
      this.serverHosts[slot] = this.hostname;
      if (this.type === OUT) this.durations[slot * 2 + 1] = this.durationMicros;
    }
    if (this.errorCode !== '') this.errorCodes[slot] = this.errorCode;
    if ((mask | bit) === ALL_EVENTS) this.complete(slot);
  }

  private complete(slot: number): void {
    this.counters.completeSpans++;
    this.finishSpan(slot);
  }

  private newSpan(): number {
    const slot = this.next;
    this.next = slot + 1 === this.capacity ? 0 : slot + 1;
    if (this.live[slot] === 1) this.overwrite(slot);
    this.live[slot] = 1;
    this.traceIds[slot] = this.traceId;
    this.spanIds[slot] = this.spanId;
    this.parentSpanIds[slot] = this.parentSpanId;
    this.masks[slot] = 0;
    this.errorCodes[slot] = '';
    this.hops.set(this.spanId, slot);
    const trace = this.traces.get(this.traceId);
    if (trace === undefined) {
      this.olderInTrace[slot] = -1;
      this.traces.set(this.traceId, { newest: slot, spans: 1 });
    } else {
      this.olderInTrace[slot] = trace.newest;
      trace.newest = slot;
      trace.spans++;
    }
    return slot;
  }

  private overwrite(slot: number): void {
    this.counters.overwrittenSpans++;
    this.hops.delete(this.spanIds[slot] as string);
    const traceId = this.traceIds[slot] as string;
    const trace = this.traces.get(traceId);
    if (trace !== undefined && --trace.spans === 0) this.traces.delete(traceId);
  }
}

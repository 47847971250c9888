/**
 * What the two ingest prototypes (lean-ingest-prototype.ts, byte-keyed-ingest-prototype.ts) share:
 * the walk over a datagram's top-level fields that hands each event's bytes on, the per-span
 * finish (skew estimate, both latencies counted), and the span columns that finish reads.
 */
import { liveIndex, MAX_TRACKED_MICROS } from '../../collector/src/aggregates/rolling-histogram.js';

const WIRE_HEADER_BYTES = 4;
/** `Batch.events` in phosphor.proto. */
const EVENTS_FIELD = 6;
const COUNTS_LENGTH = liveIndex(MAX_TRACKED_MICROS) + 1;

export abstract class IngestPrototypeBase {
  /** The datagram being read and a view over it. */
  protected buf: Buffer = Buffer.alloc(0);
  protected view: DataView = new DataView(new ArrayBuffer(8));
  /** REQ, IN, OUT, REP times per span slot. */
  protected readonly times: Float64Array;
  /** Client (REP) and server (OUT) durations per span slot. */
  protected readonly durations: Float64Array;
  protected readonly skews: Float64Array;
  protected readonly froms: string[];
  protected readonly fromEndpoints: string[];
  protected readonly tos: string[];
  protected readonly toEndpoints: string[];
  protected readonly clientHosts: string[];
  protected readonly serverHosts: string[];
  protected readonly errorCodes: string[];
  /** Event types present per slot (bit 0 REQ … bit 3 REP). */
  protected readonly masks: Uint8Array;
  /** 1 while a slot holds a span. */
  protected readonly live: Uint8Array;
  /** Previous (older) span of the same trace, or -1. */
  protected readonly olderInTrace: Int32Array;
  /** The slot the next new span takes (the ring's oldest). */
  protected next = 0;
  private readonly endpointCounts = new Map<string, Map<string, Uint32Array>>();
  private readonly edgeCounts = new Map<string, Map<string, Uint32Array>>();

  constructor(protected readonly capacity: number) {
    this.times = new Float64Array(capacity * 4);
    this.durations = new Float64Array(capacity * 2);
    this.skews = new Float64Array(capacity);
    const strings = () => new Array<string>(capacity).fill('');
    this.froms = strings();
    this.fromEndpoints = strings();
    this.tos = strings();
    this.toEndpoints = strings();
    this.clientHosts = strings();
    this.serverHosts = strings();
    this.errorCodes = strings();
    this.masks = new Uint8Array(capacity);
    this.live = new Uint8Array(capacity);
    this.olderInTrace = new Int32Array(capacity).fill(-1);
  }

  /** One datagram without HMAC; assumes well-formed input (the bench's own datagrams). */
  ingest(buf: Buffer): void {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let pos = WIRE_HEADER_BYTES;
    const end = buf.length;
    while (pos < end) {
      let tag = buf[pos++] as number;
      if (tag >= 0x80) tag = (tag & 0x7f) | ((buf[pos++] as number) << 7);
      const wireType = tag & 7;
      if (wireType === 2) {
        let length = buf[pos++] as number;
        if (length >= 0x80) length = (length & 0x7f) | ((buf[pos++] as number) << 7);
        if (tag >>> 3 === EVENTS_FIELD) this.event(pos, pos + length);
        pos += length;
      } else if (wireType === 0) {
        while ((buf[pos++] as number) >= 0x80);
      } else pos += wireType === 1 ? 8 : 4;
    }
  }

  /** Position after the varint read by the last {@link varint} call. */
  protected afterVarint = 0;

  /** Reads the varint at `pos` (below 2^32 in the bench's datagrams); its end goes to `afterVarint`. */
  protected varint(pos: number): number {
    const buf = this.buf;
    let value = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = buf[pos++] as number;
      value |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte >= 0x80);
    this.afterVarint = pos;
    return value;
  }

  /** One Event message, `buf[start, end)`. */
  protected abstract event(start: number, end: number): void;

  /** A span with all four events: skew estimate (network time split evenly) and both latencies counted. */
  protected finishSpan(slot: number): void {
    const t = slot * 4;
    const req = this.times[t] as number;
    const inn = this.times[t + 1] as number;
    const out = this.times[t + 2] as number;
    const rep = this.times[t + 3] as number;
    this.skews[slot] = inn < req || out > rep ? Math.round(req + (rep - req - (out - inn)) / 2 - inn) : 0;
    const to = this.tos[slot] as string;
    count(this.endpointCounts, to, this.toEndpoints[slot] as string, this.durations[slot * 2 + 1] as number);
    count(this.edgeCounts, this.froms[slot] as string, to, this.durations[slot * 2] as number);
  }
}

/** Counts a latency into the flat HDR-layout array of (a, b). */
function count(table: Map<string, Map<string, Uint32Array>>, a: string, b: string, micros: number): void {
  let inner = table.get(a);
  if (inner === undefined) {
    inner = new Map();
    table.set(a, inner);
  }
  let counts = inner.get(b);
  if (counts === undefined) {
    counts = new Uint32Array(COUNTS_LENGTH);
    inner.set(b, counts);
  }
  const index = liveIndex(Math.min(Math.round(micros), MAX_TRACKED_MICROS));
  counts[index] = (counts[index] as number) + 1;
}

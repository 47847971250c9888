/** What {@link HopIndex} needs of a hop. */
export interface IndexedHop {
  readonly traceId: string;
  readonly spanId: string;
}

/**
 * Hops by (traceId, spanId), keyed by the spanId first. Joining both ids into one key string
 * would build, flatten and hash a new string for every event; span ids arrive as interned
 * strings from the wire decoder, and V8 caches a string's hash in the string, so the events of a
 * hop mostly look it up without hashing at all. A spanId shared by several traces (only broken or
 * hostile tracers: span ids are 64-bit random) gets a nested map by traceId, so lookups stay O(1)
 * whatever the input.
 */
export class HopIndex<H extends IndexedHop> {
  private readonly bySpanId = new Map<string, H | Map<string, H>>();
  private count = 0;

  /** Hops indexed. */
  get size(): number {
    return this.count;
  }

  get(traceId: string, spanId: string): H | undefined {
    const entry = this.bySpanId.get(spanId);
    if (entry === undefined) return undefined;
    if (entry instanceof Map) return entry.get(traceId);
    return entry.traceId === traceId ? entry : undefined;
  }

  /** Adds a hop whose (traceId, spanId) is not indexed yet. */
  add(hop: H): void {
    const entry = this.bySpanId.get(hop.spanId);
    if (entry === undefined) this.bySpanId.set(hop.spanId, hop);
    else if (entry instanceof Map) entry.set(hop.traceId, hop);
    else
      this.bySpanId.set(
        hop.spanId,
        new Map([
          [entry.traceId, entry],
          [hop.traceId, hop],
        ]),
      );
    this.count++;
  }

  /** Removes every hop. */
  clear(): void {
    this.bySpanId.clear();
    this.count = 0;
  }

  /** Removes an indexed hop (no-op when it is not indexed). */
  delete(hop: H): void {
    const entry = this.bySpanId.get(hop.spanId);
    if (entry === hop) {
      this.bySpanId.delete(hop.spanId);
      this.count--;
    } else if (entry instanceof Map && entry.get(hop.traceId) === hop) {
      entry.delete(hop.traceId);
      if (entry.size === 0) this.bySpanId.delete(hop.spanId);
      this.count--;
    }
  }
}

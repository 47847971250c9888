import { formatDuration } from '@phosphor/service-kit';
import type { Span, TraceQuery, TraceSummary } from '../../model/span.js';
import { SpanBatch } from '../../model/span-batch.js';
import { hashId } from '../../util/id-bytes-column.js';
import type { ComponentHealth, SpanStore } from '../span-store.js';
import { summarizeTrace } from '../trace-query.js';
import { RowQuery } from './row-query.js';
import { ServiceIndex } from './service-index.js';
import { F_FROM, F_TO, NAME_FIELDS, SpanRows } from './span-rows.js';
import { NO_STRING, StringInterner } from './string-interner.js';
import { TagSetInterner } from './tag-set-interner.js';
import { TraceRing } from './trace-ring.js';

/** Memory store settings (`storage.memory`). */
export interface MemoryStoreOptions {
  /** Spans kept at most; past it, whole traces are evicted oldest first. */
  maxSpans: number;
}

/**
 * Span rows and trace slots allocated at first; both double from here as the store fills, up to
 * `maxSpans` + ROW_SLACK.
 */
const INITIAL_ROWS = 1024;

/**
 * Rows beyond `maxSpans`: a write batch is stored before the oldest traces are evicted, and a
 * batch is one datagram's spans (or one OTLP request's), so this covers nearly all; a larger
 * batch grows the rows further.
 */
const ROW_SLACK = 1024;

/**
 * Spans of a trace are a chain of rows, searched linearly on upsert while the trace is small;
 * past this many spans a spanId → row map is built so huge traces stay O(1) per write.
 */
const SPAN_INDEX_THRESHOLD = 16;

/**
 * The embedded default store: bounded, in memory, oldest traces evicted first (counted). Spans
 * are kept as rows of typed-array columns ({@link SpanRows}: ids as bytes, names and tag sets
 * interned) rather than objects, traces as a ring in arrival order ({@link TraceRing}) with a
 * per-service index ({@link ServiceIndex}), so searches walk newest first and stop at the limit.
 * Span objects are made only for what a query returns. Also used as the in-memory test double.
 */
export class MemoryStore implements SpanStore {
  readonly name = 'memory';
  private readonly strings = new StringInterner();
  private readonly tagSets = new TagSetInterner();
  private readonly rows: SpanRows;
  private readonly traces: TraceRing;
  private readonly byService = new ServiceIndex();
  /** spanId → row for traces past SPAN_INDEX_THRESHOLD spans, by trace serial. */
  private readonly spanIndexes = new Map<number, Map<string, number>>();
  /** Last trace written (its id's hash and serial): consecutive spans mostly belong to one trace. */
  private lastHash = 0;
  private lastSerial = -1;
  /** The batch {@link write} turns Span objects into. */
  private readonly scratch = new SpanBatch();
  private spanCount = 0;
  /** Trace id hashes of the batch being written (see write). */
  private batchHashes = new Int32Array(64);
  /** Index entries read ahead of their use (see write); the value itself is unused. */
  private warmed = 0;
  private readonly counters = { writtenSpans: 0, updatedSpans: 0, evictedTraces: 0, evictedSpans: 0 };
  private closed = false;

  constructor(private readonly options: MemoryStoreOptions) {
    // Every trace holds a span: traces never outnumber rows.
    this.traces = new TraceRing(INITIAL_ROWS, options.maxSpans + ROW_SLACK);
    this.rows = new SpanRows(
      Math.min(INITIAL_ROWS, options.maxSpans + ROW_SLACK),
      options.maxSpans + ROW_SLACK,
      this.strings,
      this.tagSets,
    );
  }

  /** Stores spans at once; a span with a known (traceId, spanId) replaces the earlier version. */
  write(spans: readonly Span[]): void {
    if (this.closed) return;
    this.writeBatch(this.scratch.refill(spans));
    this.scratch.clear();
  }

  /** {@link write} for spans as columns: the ids are copied as bytes, no Span object is made. */
  writeBatch(batch: SpanBatch): void {
    if (this.closed) return;
    const count = batch.length;
    let hashes = this.batchHashes;
    if (hashes.length < count) hashes = this.batchHashes = new Int32Array(count * 2);
    for (let i = 0; i < count; i++) hashes[i] = batch.traceIdHash(i);
    // The trace index entries the batch will probe, and those of as many of the oldest traces
    // (which eviction removes once the store is full), read in one tight loop: the index spans
    // megabytes, and misses issued back to back overlap where each write would otherwise wait
    // for its own. Kept in a field only so the reads are not optimised away.
    const traces = this.traces;
    const full = this.spanCount >= this.options.maxSpans;
    let warmed = 0;
    for (let i = 0; i < count; i++) {
      warmed ^= traces.indexEntry(hashes[i] as number);
      if (full) warmed ^= traces.indexEntryAt(i);
    }
    this.warmed ^= warmed;
    for (let i = 0; i < count; i++) this.writeOne(batch, i, hashes[i] as number);
    this.evict();
  }

  /** All stored spans of a trace, in write order. */
  async getTrace(traceId: string): Promise<Span[] | undefined> {
    const slot = this.traces.find(traceId, hashId(traceId));
    return slot < 0 ? undefined : this.spansOf(slot, traceId);
  }

  /** Walks traces newest first (by arrival), through the service index when a service is given. */
  async findTraces(query: TraceQuery): Promise<TraceSummary[]> {
    const results: TraceSummary[] = [];
    const traces = this.traces;
    const match = new RowQuery(query, this.strings, this.tagSets);
    const collect = (slot: number): void => {
      if (!match.matchesTrace(this.rows, traces.firstRow[slot] as number)) return;
      const traceId = traces.ids.get(slot) as string;
      results.push(summarizeTrace(traceId, this.spansOf(slot, traceId)));
    };
    if (query.service !== undefined) {
      const service = this.strings.idOf(query.service);
      const serials = service === NO_STRING ? undefined : this.byService.get(service);
      if (serials === undefined) return results;
      for (let i = serials.size - 1; i >= 0 && results.length < query.limit; i--) {
        const serial = serials.at(i);
        if (traces.isLive(serial)) collect(traces.slotOf(serial));
      }
    } else {
      for (let age = traces.count - 1; age >= 0 && results.length < query.limit; age--) collect(traces.slotAt(age));
    }
    return results.sort((a, b) => b.startMicros - a.startMicros);
  }

  /** Always OK while open: reports fill level as a test. */
  async health(): Promise<ComponentHealth> {
    const started = performance.now();
    const status = this.closed ? 'KO' : 'OK';
    return {
      status,
      tests: [{ name: 'capacity', duration: formatDuration(performance.now() - started), status }],
    };
  }

  /** Counters for /api/stats and /metrics. */
  stats(): Record<string, number> {
    return { ...this.counters, storedSpans: this.spanCount, storedTraces: this.traces.count, queuedSpans: 0 };
  }

  /** Nothing to flush; drops the data so a closed store holds no memory. Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    this.rows.reset(1);
    this.traces.reset();
    this.byService.clear();
    this.spanIndexes.clear();
    this.strings.clear();
    this.tagSets.clear();
    this.lastSerial = -1;
    this.spanCount = 0;
  }

  /** The spans of a trace slot as new Span objects, in write order. */
  private spansOf(slot: number, traceId: string): Span[] {
    const spans: Span[] = [];
    const rows = this.rows;
    for (let row = this.traces.firstRow[slot] as number; row >= 0; row = rows.next[row] as number) {
      spans.push(rows.toSpan(row, traceId));
    }
    return spans;
  }

  private writeOne(batch: SpanBatch, i: number, hash: number): void {
    const traces = this.traces;
    const slot = this.traceSlot(batch, i, hash);
    const serial = traces.serialOf(slot);
    this.counters.writtenSpans++;
    const rows = this.rows;
    const existing = this.findRow(slot, serial, batch, i);
    if (existing >= 0) {
      rows.write(existing, batch, i, true);
      this.counters.updatedSpans++;
    } else {
      const row = rows.allocate();
      rows.write(row, batch, i, false);
      const last = traces.lastRow[slot] as number;
      if (last < 0) traces.firstRow[slot] = row;
      else rows.next[last] = row;
      traces.lastRow[slot] = row;
      const count = (traces.spanCount[slot] as number) + 1;
      traces.spanCount[slot] = count;
      this.spanCount++;
      const index = this.spanIndexes.size > 0 ? this.spanIndexes.get(serial) : undefined;
      if (index !== undefined) index.set(batch.spanId(i), row);
      else if (count > SPAN_INDEX_THRESHOLD) this.spanIndexes.set(serial, this.buildSpanIndex(slot));
    }
    const row = existing >= 0 ? existing : (traces.lastRow[slot] as number);
    const names = rows.names;
    this.indexService(slot, serial, names[row * NAME_FIELDS + F_FROM] as number);
    this.indexService(slot, serial, names[row * NAME_FIELDS + F_TO] as number);
  }

  /** The slot of entry `i`'s trace, added when new. Consecutive spans mostly belong to one trace: the last one is tried first. */
  private traceSlot(batch: SpanBatch, i: number, hash: number): number {
    const traces = this.traces;
    const last = this.lastSerial;
    if (hash === this.lastHash && traces.isLive(last) && batch.traceIdIn(i, traces.ids, traces.slotOf(last))) {
      return traces.slotOf(last);
    }
    const slot = traces.findOrPushTraceOf(batch, i, hash);
    this.lastHash = hash;
    this.lastSerial = traces.serialOf(slot);
    return slot;
  }

  /** Row of entry `i`'s span id in the trace, or -1. */
  private findRow(slot: number, serial: number, batch: SpanBatch, i: number): number {
    // Most traces are small: no Map lookup while no trace has an index.
    const index = this.spanIndexes.size > 0 ? this.spanIndexes.get(serial) : undefined;
    if (index !== undefined) return index.get(batch.spanId(i)) ?? -1;
    const rows = this.rows;
    for (let row = this.traces.firstRow[slot] as number; row >= 0; row = rows.next[row] as number) {
      if (batch.spanIdIn(i, rows.spanIds, row)) return row;
    }
    return -1;
  }

  private buildSpanIndex(slot: number): Map<string, number> {
    const index = new Map<string, number>();
    const rows = this.rows;
    for (let row = this.traces.firstRow[slot] as number; row >= 0; row = rows.next[row] as number) {
      index.set(rows.spanIds.get(row) as string, row);
    }
    return index;
  }

  /** Lists `service` (an interned id; '' is no service and is not listed) under the trace once. */
  private indexService(slot: number, serial: number, service: number): void {
    if (service === NO_STRING || this.strings.get(service) === '') return;
    if (this.traces.hasService(slot, serial, service)) return;
    // The trace's list holds its own count, so the id outlives a span upserted away from it.
    this.strings.retain(service);
    this.traces.addService(slot, serial, service);
    this.byService.add(service, serial);
  }

  private evict(): void {
    const traces = this.traces;
    const rows = this.rows;
    while (this.spanCount > this.options.maxSpans && traces.count > 0) {
      const slot = traces.slotAt(0);
      const serial = traces.headSerial;
      // The first two services are read from their columns (no list per evicted trace); only
      // traces crossing more services have a list, in `moreServices`.
      const service0 = traces.service0[slot] as number;
      const service1 = traces.service1[slot] as number;
      const more = traces.moreServices.size > 0 ? traces.moreServices.get(serial) : undefined;
      const count = traces.spanCount[slot] as number;
      for (let row = traces.firstRow[slot] as number; row >= 0; ) {
        const next = rows.next[row] as number;
        rows.free(row);
        row = next;
      }
      if (this.spanIndexes.size > 0) this.spanIndexes.delete(serial);
      traces.shift();
      this.spanCount -= count;
      this.counters.evictedTraces++;
      this.counters.evictedSpans += count;
      const liveFrom = traces.headSerial;
      if (service0 !== NO_STRING) this.forgetService(service0, liveFrom);
      if (service1 !== NO_STRING) this.forgetService(service1, liveFrom);
      if (more !== undefined) for (const service of more) this.forgetService(service, liveFrom);
    }
  }

  /** Drops an evicted trace's listing under `service` and its count on the service's name. */
  private forgetService(service: number, liveFrom: number): void {
    this.byService.evicted(service, liveFrom);
    this.strings.release(service);
  }
}

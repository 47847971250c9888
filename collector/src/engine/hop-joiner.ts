/**
 * Hop joiner: the engine's assembly. Joins REQ/IN/OUT/REP events into spans in any arrival
 * order, with the rules of the assembler it replaced (pinned by the golden outputs of
 * collector/test/engine/equivalence.test.ts): a hop is emitted when its four
 * events are in, or as partial when `spanTimeoutMillis` passes or the pending cap evicts its
 * oldest hop; duplicates are counted and ignored; late events for a partial span re-emit it
 * updated; emitted hops are remembered for `lateWindowMillis`, at most `maxRememberedSpans`.
 * New here: hops that expect nothing more are emitted at once instead of waiting for the
 * timeout. An entry hop has no parent and only IN and OUT — but so does, for a while, a root call
 * from an instrumented client whose REQ/REP are still on their way, and emitting that one early
 * would count it in the aggregates without its client side. So the joiner learns per callee: a
 * service whose parentless IN/OUT hops time out without REQ/REP receives entry requests, and its
 * later ones finish on their last event; likewise a callee whose REQ/REP hops time out without
 * IN/OUT is uninstrumented, and later calls to it finish on REP. Any event proving otherwise (a
 * parentless REQ/REP to the service, an IN/OUT from the callee) unlearns it; an event arriving
 * after an early emission updates the span as a late event, like any late event.
 *
 * Events arrive two ways: {@link HopJoiner.locate} + {@link HopJoiner.commit} from the datagram
 * decoder (byte ids, fields written straight into the columns), and {@link HopJoiner.addEvents}
 * for already-decoded events (foreign spans, datagrams the fast decoder hands back). Rows live in
 * {@link SpanColumns}, found through the {@link IdTable}; finished spans leave as entries of a
 * {@link SpanBatch} (columns, no Span objects unless a consumer asks for them), and
 * {@link HopJoiner.pendingSpansOf} makes Span objects the same way.
 *
 * Ordering invariant: within one call, evicted spans are handed on first (they are older), then
 * the batch of newly finished spans, then late updates — as the replaced assembler did.
 */
import type { TraceEvent } from '@phosphor/wire';
import type {
  AssemblerStats,
  EmitReason,
  SpanAssemblerOptions,
  SpanBatchSink,
  SpanSink,
} from '../assembly/span-sink.js';
import type { Span } from '../model/span.js';
import { SpanBatch } from '../model/span-batch.js';
import { finalTraceHash, IdTable, idHash, idKeyBytes, pairHash } from './id-table.js';
import { adjustEntrySkew, appendSpanFromRow } from './span-builder.js';
import {
  F_ERROR_CODE,
  F_ERROR_DESCRIPTION,
  F_FROM,
  F_FROM_ENDPOINT,
  F_HOSTNAME,
  F_TO,
  F_TO_ENDPOINT,
  F_ZONE,
  RowState,
  SpanColumns,
  TEXT_FIELDS,
} from './span-columns.js';
import { TraceSkewOffsets } from './trace-skew-offsets.js';

/** Engine assembly settings: the old assembler's plus the entry-span switch. */
export interface HopJoinerOptions extends SpanAssemblerOptions {
  /**
   * Emit at once the hops that expect no more events: entry hops (no parent, IN+OUT) to services
   * learnt to receive entry requests, and calls (REQ+REP) to callees learnt to be uninstrumented
   * (see the class comment). Default true; false always waits for the timeout, as the old
   * assembler did.
   */
  finishEntrySpans?: boolean;
}

/** Rows allocated up front; columns double from here up to the caps. */
const INITIAL_ROWS = 1024;
const IN_OUT = 0b0110;
const REQ_REP = 0b1001;
/** Entry services and uninstrumented callees remembered each; past it, no new ones are learnt (their hops wait for the timeout). */
const MAX_LEARNT_SERVICES = 10_000;
const ALL_EVENTS = 0b1111;
const TYPE_INDEX: Record<string, number> = { REQ: 0, IN: 1, OUT: 2, REP: 3 };

export class HopJoiner {
  readonly columns: SpanColumns;
  ids: IdTable;
  private readonly remember: boolean;
  private readonly finishEntries: boolean;
  private readonly now: () => number;
  /** Callees whose calls timed out with REQ+REP and no IN/OUT: their calls finish at once. */
  private readonly uninstrumented = new Set<string>();
  /** Services whose parentless IN+OUT hops timed out without REQ/REP: their entry hops finish at once. */
  private readonly entryServices = new Set<string>();
  private readonly skewOffsets = new TraceSkewOffsets();
  private readonly counters = {
    receivedEvents: 0,
    duplicateEvents: 0,
    lateEvents: 0,
    completeSpans: 0,
    partialSpans: 0,
    timedOutSpans: 0,
    evictedPendingSpans: 0,
    updatedSpans: 0,
  };
  private outbox = new SpanBatch();
  private lateOutbox = new SpanBatch();
  private evictedOutbox = new SpanBatch();
  /** A batch handed on and emptied, kept for the next outbox that is handed on. */
  private spareOutbox: SpanBatch | undefined = new SpanBatch();
  private timer: NodeJS.Timeout | undefined;
  /** Row and type of the event between locate() and commit(). */
  private currentRow = -1;
  private currentType = 0;

  constructor(
    private readonly options: HopJoinerOptions,
    private readonly sink: SpanSink | SpanBatchSink,
  ) {
    this.now = options.now ?? (() => performance.now());
    this.remember = options.maxRememberedSpans > 0 && options.lateWindowMillis > 0;
    this.finishEntries = options.finishEntrySpans ?? true;
    const maxRows = options.maxPendingSpans + (this.remember ? options.maxRememberedSpans : 0) + 1;
    this.ids = new IdTable(Math.min(INITIAL_ROWS, maxRows));
    this.columns = new SpanColumns(INITIAL_ROWS, maxRows, (rows) => this.ids.grow(rows));
  }

  /** Starts the timeout sweep (an unref'd timer). */
  start(): void {
    if (this.timer) return;
    // Sweeping at a quarter of the timeout keeps emission within 125 % of it without busy timers.
    const interval = Math.max(10, Math.min(1000, Math.floor(this.options.spanTimeoutMillis / 4)));
    this.timer = setInterval(() => this.sweep(), interval);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Finds or creates the row of (trace, span) for an event of type `k` (0 REQ … 3 REP). Returns
   * the event's cell (`row * 4 + k`) for the caller to fill, then call {@link commit}; or -1 for
   * a duplicate (counted; nothing to fill).
   */
  locate(
    k: number,
    hash: number,
    traceKeyHash: number,
    trace: Uint8Array,
    traceStart: number,
    traceEnd: number,
    span: Uint8Array,
    spanStart: number,
    spanEnd: number,
    now: number,
  ): number {
    const row = this.ids.find(hash, trace, traceStart, traceEnd, span, spanStart, spanEnd);
    if (row >= 0) return this.locateIn(row, k);
    this.counters.receivedEvents++;
    const created = this.newRow(now);
    this.ids.insert(created, hash, trace, traceStart, traceEnd, span, spanStart, spanEnd, traceKeyHash);
    return this.take(created, k);
  }

  /**
   * {@link locate} for an event whose (trace, span) is known to be `row`'s — a row in use (not
   * {@link RowState.free}) that an event with the same ids located just before — without looking
   * the ids up again. The decoder's shortcut for a hop's events that travel together.
   */
  locateIn(row: number, k: number): number {
    this.counters.receivedEvents++;
    const columns = this.columns;
    if (columns.state[row] === RowState.complete || ((columns.mask[row] as number) & (1 << k)) !== 0) {
      this.counters.duplicateEvents++;
      return -1;
    }
    return this.take(row, k);
  }

  /** Whether `row` holds a hop (its ids still lead to it). */
  inUse(row: number): boolean {
    return this.columns.state[row] !== RowState.free;
  }

  private take(row: number, k: number): number {
    const columns = this.columns;
    columns.mask[row] = (columns.mask[row] as number) | (1 << k);
    this.currentRow = row;
    this.currentType = k;
    return row * 4 + k;
  }

  /**
   * Reads the id-table index entries of the next `count` rows the remembered cap will make the
   * joiner forget (the oldest remembered), and returns a meaningless number. The decoder calls
   * it with a datagram's event count before ingesting the events, alongside its own reads
   * ahead, so these cache misses overlap instead of each stalling an emission.
   */
  readAheadForgets(count: number): number {
    const columns = this.columns;
    if (!this.remember || columns.rememberedCount + count <= this.options.maxRememberedSpans) return 0;
    let warmed = 0;
    let row = columns.rememberedHead;
    for (let k = 0; k < count && row >= 0; k++) {
      warmed ^= this.ids.indexEntryOfRow(row);
      row = columns.rememberedNext[row] as number;
    }
    return warmed;
  }

  /**
   * The skew offsets' index entry for a trace whose key bytes hash to `traceKeyHash` (the id
   * table's `idHash`), for the decoder's reads ahead; 0 when skew correction is off.
   */
  traceOffsetsEntry(traceKeyHash: number): number {
    return this.options.skewCorrection ? this.skewOffsets.indexEntry(finalTraceHash(traceKeyHash)) : 0;
  }

  /** The skew offsets' index entries of the `count` traces they forget next (read ahead; see above). */
  oldestTraceOffsetsEntries(count: number): number {
    return this.options.skewCorrection ? this.skewOffsets.oldestEntries(count) : 0;
  }

  /** Finishes the event located last: emits the hop when complete (or an entry), or re-emits a late update. */
  commit(now: number): void {
    const row = this.currentRow;
    const columns = this.columns;
    const state = columns.state[row];
    const mask = columns.mask[row] as number;
    if (this.uninstrumented.size > 0 || this.entryServices.size > 0) this.unlearn(row);
    if (state === RowState.pending) {
      if (mask === ALL_EVENTS) this.emitRow(row, now, this.outbox);
      else if (this.finishEntries) this.finishEarly(row, mask, now);
      return;
    }
    // A late event for a partial span already emitted: re-emit it updated.
    const late = (columns.late[row] as number) + 1;
    columns.late[row] = late;
    this.counters.lateEvents++;
    this.counters.updatedSpans++;
    this.finishEntry(this.lateOutbox, appendSpanFromRow(this.lateOutbox, columns, this.ids, row, late), row);
    if (mask === ALL_EVENTS) this.seal(row);
  }

  /** Hands the spans finished since the last flush to the sink (once per datagram). */
  flush(reason: EmitReason = 'complete'): void {
    if (this.evictedOutbox.length > 0) {
      const batch = this.evictedOutbox;
      this.evictedOutbox = this.takeSpare();
      this.handOn(batch, 'evicted');
    }
    if (this.outbox.length > 0) {
      const batch = this.outbox;
      this.outbox = this.takeSpare();
      this.handOn(batch, reason);
    }
    if (this.lateOutbox.length > 0) {
      const batch = this.lateOutbox;
      this.lateOutbox = this.takeSpare();
      this.handOn(batch, 'late');
    }
  }

  /** An empty batch for an outbox being handed on (a new one if the sink emits while it runs). */
  private takeSpare(): SpanBatch {
    const spare = this.spareOutbox;
    this.spareOutbox = undefined;
    return spare ?? new SpanBatch();
  }

  /** Gives `batch` to the sink (as Span objects to a function sink), then keeps it, emptied, as the spare. */
  private handOn(batch: SpanBatch, reason: EmitReason): void {
    const sink = this.sink;
    try {
      if (typeof sink === 'function') sink(batch.spans(), reason);
      else sink.consumeBatch(batch, reason);
    } finally {
      batch.clear();
      this.spareOutbox = batch;
    }
  }

  /** Adds already-decoded events (foreign spans, decoded datagrams); finished spans go to the sink before this returns. */
  addEvents(events: readonly TraceEvent[]): void {
    const now = this.now();
    for (let i = 0; i < events.length; i++) this.addEvent(events[i] as TraceEvent, now);
    this.flush();
  }

  /** One decoded event (no flush). */
  addEvent(event: TraceEvent, now: number): void {
    const k = TYPE_INDEX[event.type];
    if (k === undefined) return;
    const trace = idKeyBytes(event.traceId);
    const span = idKeyBytes(event.spanId);
    const traceKeyHash = idHash(trace.bytes, 0, trace.bytes.length);
    const hash = pairHash(traceKeyHash, idHash(span.bytes, 0, span.bytes.length));
    const known = this.ids.find(hash, trace.bytes, 0, trace.bytes.length, span.bytes, 0, span.bytes.length) >= 0;
    const cell = this.locate(
      k,
      hash,
      traceKeyHash,
      trace.bytes,
      0,
      trace.bytes.length,
      span.bytes,
      0,
      span.bytes.length,
      now,
    );
    if (cell < 0) return;
    if (!known && (trace.digested || span.digested)) this.ids.keepStrings(cell >> 2, event.traceId, event.spanId);
    const columns = this.columns;
    const eventCell = columns.tagsBase(cell >> 2) + (cell & 3);
    columns.timestamps[eventCell] = event.timestampMicros;
    columns.durations[eventCell] = event.durationMicros ?? Number.NaN;
    columns.flags[eventCell] = event.flags ?? 0;
    const base = columns.textBase(cell >> 2) + (cell & 3) * TEXT_FIELDS;
    const text = columns.text;
    text[base + F_FROM] = event.from;
    text[base + F_FROM_ENDPOINT] = event.fromEndpoint;
    text[base + F_TO] = event.to;
    text[base + F_TO_ENDPOINT] = event.toEndpoint;
    text[base + F_HOSTNAME] = event.hostname;
    text[base + F_ZONE] = event.zone ?? '';
    text[base + F_ERROR_CODE] = event.errorCode ?? '';
    text[base + F_ERROR_DESCRIPTION] = event.errorDescription ?? '';
    columns.parentIds.set(eventCell, event.parentSpanId || undefined);
    columns.tags[eventCell] = event.tags;
    this.commit(now);
  }

  /** Emits hops older than `spanTimeoutMillis` as partial, and forgets old emitted hops. */
  sweep(): void {
    const now = this.now();
    const deadline = now - this.options.spanTimeoutMillis;
    const columns = this.columns;
    // The pending list is in first-seen order, so the expired hops are a prefix.
    for (let row = columns.pendingHead; row >= 0; row = columns.pendingHead) {
      if ((columns.firstSeenMillis[row] as number) > deadline) break;
      this.counters.timedOutSpans++;
      this.learn(row);
      this.emitRow(row, now, this.outbox);
    }
    const forgetBefore = now - this.options.lateWindowMillis;
    for (let row = columns.rememberedHead; row >= 0; row = columns.rememberedHead) {
      if ((columns.emittedAtMillis[row] as number) > forgetBefore) break;
      this.forget(row);
    }
    this.flush('timeout');
  }

  /** Emits every pending hop as partial (graceful shutdown). */
  flushAll(): void {
    const now = this.now();
    const columns = this.columns;
    for (let row = columns.pendingHead; row >= 0; row = columns.pendingHead) this.emitRow(row, now, this.outbox);
    this.flush('shutdown');
  }

  /** Emits every pending hop, then forgets everything (the engine holds no memory after shutdown). */
  flushAndRelease(): void {
    this.flushAll();
    this.ids = new IdTable(INITIAL_ROWS);
    this.columns.reset(INITIAL_ROWS);
    this.skewOffsets.clear();
  }

  /** Spans of a trace still waiting for events, built as partial spans, in first-seen order. */
  pendingSpansOf(traceId: string): Span[] {
    const batch = new SpanBatch();
    const key = idKeyBytes(traceId);
    const columns = this.columns;
    for (let row = columns.pendingHead; row >= 0; row = columns.pendingNext[row] as number) {
      const match = key.digested ? this.ids.traceId(row) === traceId : this.ids.traceIs(row, key.bytes);
      if (match) this.finishEntry(batch, appendSpanFromRow(batch, columns, this.ids, row, 0), row);
    }
    return batch.spans();
  }

  stats(): AssemblerStats {
    return {
      ...this.counters,
      pendingSpans: this.columns.pendingCount,
      rememberedSpans: this.columns.rememberedCount,
    };
  }

  /** Rows the columns hold now (allocated, not necessarily in use). */
  allocatedRows(): number {
    return this.columns.rows;
  }

  private newRow(now: number): number {
    const columns = this.columns;
    if (columns.pendingCount >= this.options.maxPendingSpans && columns.pendingHead >= 0) {
      this.counters.evictedPendingSpans++;
      this.emitRow(columns.pendingHead, now, this.evictedOutbox);
    }
    let row = columns.allocate();
    if (row < 0) {
      // Cannot happen with the caps above (rows = pending cap + remembered cap + 1); kept as a
      // guard so a bug costs the oldest remembered hop, not a crash.
      this.forget(columns.rememberedHead);
      row = columns.allocate();
    }
    columns.state[row] = RowState.pending;
    columns.firstSeenMillis[row] = now;
    columns.pushPending(row);
    return row;
  }

  /** Emits a pending hop that expects nothing more (see the class comment). */
  private finishEarly(row: number, mask: number, now: number): void {
    const text = this.columns.text;
    if (mask === IN_OUT) {
      if (this.entryServices.size === 0) return;
      if (this.hasParent(row)) return;
      if (this.entryServices.has(text[this.columns.textBase(row) + TEXT_FIELDS + F_TO] as string)) {
        this.emitRow(row, now, this.outbox);
      }
    } else if (mask === REQ_REP && this.uninstrumented.size > 0) {
      if (this.uninstrumented.has(text[this.columns.textBase(row) + F_TO] as string))
        this.emitRow(row, now, this.outbox);
    }
  }

  /** Unlearns what the event just committed disproves (see the class comment). */
  private unlearn(row: number): void {
    const k = this.currentType;
    const cell = this.columns.textBase(row) + k * TEXT_FIELDS;
    const text = this.columns.text;
    const callee = text[cell + F_TO] as string;
    if (k === 1 || k === 2) this.uninstrumented.delete(callee);
    else if (!this.columns.parentIds.has(this.columns.tagsBase(row) + k)) this.entryServices.delete(callee);
  }

  /** Whether a row's IN or OUT names a parent span (the hop is not an entry request). */
  private hasParent(row: number): boolean {
    const parentIds = this.columns.parentIds;
    const cell = this.columns.tagsBase(row);
    return parentIds.has(cell + 1) || parentIds.has(cell + 2);
  }

  /** A hop timing out learns its callee: uninstrumented (REQ+REP only) or an entry service (parentless IN+OUT only). */
  private learn(row: number): void {
    if (!this.finishEntries) return;
    const mask = this.columns.mask[row];
    const text = this.columns.text;
    if (mask === REQ_REP) {
      const callee = text[this.columns.textBase(row) + F_TO] as string;
      if (callee && this.uninstrumented.size < MAX_LEARNT_SERVICES) this.uninstrumented.add(callee);
    } else if (mask === IN_OUT) {
      if (this.hasParent(row)) return;
      const service = text[this.columns.textBase(row) + TEXT_FIELDS + F_TO] as string;
      if (service && this.entryServices.size < MAX_LEARNT_SERVICES) this.entryServices.add(service);
    }
  }

  private emitRow(row: number, now: number, outbox: SpanBatch): void {
    const columns = this.columns;
    columns.unlinkPending(row);
    this.finishEntry(outbox, appendSpanFromRow(outbox, columns, this.ids, row, 0), row);
    const complete = columns.mask[row] === ALL_EVENTS;
    if (complete) this.counters.completeSpans++;
    else this.counters.partialSpans++;
    if (!this.remember) {
      this.ids.remove(row);
      columns.release(row);
      return;
    }
    if (columns.rememberedCount + 1 > this.options.maxRememberedSpans) this.forget(columns.rememberedHead);
    columns.emittedAtMillis[row] = now;
    if (complete) this.seal(row);
    else columns.state[row] = RowState.partial;
    columns.pushRemembered(row);
  }

  /** Marks a row complete and drops its event data: any further event is a duplicate. */
  private seal(row: number): void {
    this.columns.state[row] = RowState.complete;
    this.columns.clearEvents(row);
  }

  private forget(row: number): void {
    if (row < 0) return;
    this.columns.unlinkRemembered(row);
    this.ids.remove(row);
    this.columns.release(row);
  }

  /** Skew-corrects entry `i` of `batch`, built from `row`, with its trace's offsets (found by the row's trace key hash). */
  private finishEntry(batch: SpanBatch, i: number, row: number): void {
    if (!this.options.skewCorrection) return;
    adjustEntrySkew(batch, i, this.skewOffsets.ofEntry(batch, i, this.ids.traceHash(row)));
  }
}

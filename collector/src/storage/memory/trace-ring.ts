/**
 * Trace ring: the memory store's traces in arrival order, which is also eviction order (the
 * oldest trace goes first) — a {@link TraceIdRing} whose slots also hold, per trace, its first
 * and last span row (rows chain through SpanRows.next, in write order), its span count, and its
 * first two services (interned ids, NO_STRING = none; further ones in `moreServices` by serial).
 *
 * Invariant: a live slot's columns describe the trace whose id it holds; the columns of a
 * forgotten slot are stale until {@link TraceRing.push} reuses it.
 */
import { TraceIdRing, unrolled } from '../../util/trace-id-ring.js';
import { NO_STRING } from './string-interner.js';

const NONE = -1;

export class TraceRing extends TraceIdRing {
  firstRow = new Int32Array(0);
  lastRow = new Int32Array(0);
  spanCount = new Int32Array(0);
  service0 = new Int32Array(0);
  service1 = new Int32Array(0);
  /** Services past the first two, by serial (traces crossing many services; rare). */
  readonly moreServices = new Map<number, number[]>();

  /** A new trace's slot: no spans, no services yet. */
  protected override initSlot(slot: number): void {
    this.firstRow[slot] = NONE;
    this.lastRow[slot] = NONE;
    this.spanCount[slot] = 0;
    this.service0[slot] = NO_STRING;
    this.service1[slot] = NO_STRING;
  }

  /** Removes the oldest trace (the caller has released its rows and services first). */
  override shift(): void {
    if (this.moreServices.size > 0) this.moreServices.delete(this.headSerial);
    super.shift();
  }

  /** True when the trace already lists `service`. */
  hasService(slot: number, serial: number, service: number): boolean {
    if (this.service0[slot] === service || this.service1[slot] === service) return true;
    return this.moreServices.size > 0 && (this.moreServices.get(serial)?.includes(service) ?? false);
  }

  /** Adds `service` to the trace's list (the caller checked it is new). */
  addService(slot: number, serial: number, service: number): void {
    if (this.service0[slot] === NO_STRING) this.service0[slot] = service;
    else if (this.service1[slot] === NO_STRING) this.service1[slot] = service;
    else {
      const more = this.moreServices.get(serial);
      if (more) more.push(service);
      else this.moreServices.set(serial, [service]);
    }
  }

  /** Forgets every trace. */
  override reset(): void {
    this.moreServices.clear();
    super.reset();
  }

  protected override growColumns(capacity: number, head: number): void {
    this.firstRow = unrolled(this.firstRow, capacity, head);
    this.lastRow = unrolled(this.lastRow, capacity, head);
    this.spanCount = unrolled(this.spanCount, capacity, head);
    this.service0 = unrolled(this.service0, capacity, head);
    this.service1 = unrolled(this.service1, capacity, head);
  }
}

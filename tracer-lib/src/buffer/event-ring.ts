import type { AppendStatus, DatagramWriter, TraceEvent } from '@phosphor/wire';
import type { HopTemplates } from './hop-templates.js';
import { type HopEventKind, SlotKind } from './slot-kind.js';

/**
 * Where a hop's events stand in the ring. A hop's end event recorded while its start still waits
 * takes no slot of its own: the start's slot carries both, and the flush sends them as one frame
 * (`EventFlags.carriesStart`), or one after the other when they cannot go as one.
 */
export const HopPairing = {
  /** The start is in the ring (or not recorded yet); the end is not recorded. */
  none: 0,
  /** The end is recorded and rides in the start's slot. */
  endQueued: 1,
  /** The start's slot is gone (sent alone, rejected, or never stored): the end takes a slot of its own. */
  startGone: 2,
} as const;
export type HopPairing = (typeof HopPairing)[keyof typeof HopPairing];

/** Turns a recorded hop event into the wire event the encoder reads (in the background flush). */
export interface HopRecord {
  /** See {@link HopPairing}; set by the tracer. */
  pairing: HopPairing;
  /** Writes event `kind` of this hop into `into` (a scratch object reused for every event). */
  fill(kind: HopEventKind, into: TraceEvent, service: string, hostname: string, zone: string | undefined): void;
  /**
   * Appends event `kind` of this hop to `writer` from a template of its repeating fields (the same
   * event `fill` describes); undefined when this event has no template (an error on it, an invalid
   * field) and must go through `fill` instead.
   */
  appendTo(
    kind: HopEventKind,
    writer: DatagramWriter,
    templates: HopTemplates,
    service: string,
  ): AppendStatus | undefined;
  /**
   * Appends the hop's start and end events as one frame (the end event, flagged as carrying the
   * start) from a template; undefined when there is none (an error on the hop, clashing tags): the
   * two events then go one by one.
   */
  appendPairTo(writer: DatagramWriter, templates: HopTemplates, service: string): AppendStatus | undefined;
}

/**
 * The bounded queue between recording and the background flush: a ring over two arrays allocated
 * once (slot kinds and references), so recording an event is two stores and two integer updates.
 * When full, `push` refuses (the caller counts the drop) — the service never waits for the tracer.
 */
export class EventRing {
  readonly capacity: number;
  private readonly kinds: Uint8Array;
  private readonly refs: (TraceEvent | HopRecord | undefined)[];
  private head = 0;
  private count = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.kinds = new Uint8Array(capacity);
    this.refs = new Array<TraceEvent | HopRecord | undefined>(capacity).fill(undefined);
  }

  /** Events waiting. */
  get size(): number {
    return this.count;
  }

  /** Appends an `emit()`ed event; false (and nothing stored) when the ring is full. */
  push(event: TraceEvent): boolean {
    return this.pushSlot(SlotKind.event, event);
  }

  /** Appends event `kind` of `hop`; false (and nothing stored) when the ring is full. */
  pushHop(kind: HopEventKind, hop: HopRecord): boolean {
    return this.pushSlot(kind, hop);
  }

  /** The oldest slot's kind; undefined when empty. */
  peekKind(): SlotKind | undefined {
    return this.count === 0 ? undefined : (this.kinds[this.head] as SlotKind);
  }

  /** The oldest slot's event or hop record; undefined when empty. */
  peekRef(): TraceEvent | HopRecord | undefined {
    return this.count === 0 ? undefined : this.refs[this.head];
  }

  /** Changes the oldest slot's kind (a start slot that still carries its hop's end becomes the end's). */
  retypeOldest(kind: SlotKind): void {
    if (this.count !== 0) this.kinds[this.head] = kind;
  }

  /** Removes the oldest slot (releasing its reference so it can be collected). */
  drop(): void {
    if (this.count === 0) return;
    this.refs[this.head] = undefined;
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    this.count--;
  }

  private pushSlot(kind: SlotKind, ref: TraceEvent | HopRecord): boolean {
    if (this.count === this.capacity) return false;
    let at = this.head + this.count;
    if (at >= this.capacity) at -= this.capacity;
    this.kinds[at] = kind;
    this.refs[at] = ref;
    this.count++;
    return true;
  }
}

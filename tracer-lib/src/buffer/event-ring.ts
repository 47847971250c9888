import type { TraceEvent } from '@phosphor/wire';

/**
 * The bounded queue between recording and the background flush: a ring over an array allocated
 * once, so recording an event is one store and two integer updates. When full, `push` refuses
 * (the caller counts the drop) — the service never waits for the tracer.
 */
export class EventRing {
  readonly capacity: number;
  private readonly slots: (TraceEvent | undefined)[];
  private head = 0;
  private count = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.slots = new Array<TraceEvent | undefined>(capacity).fill(undefined);
  }

  /** Events waiting. */
  get size(): number {
    return this.count;
  }

  /** Appends `event`; false (and nothing stored) when the ring is full. */
  push(event: TraceEvent): boolean {
    if (this.count === this.capacity) return false;
    let at = this.head + this.count;
    if (at >= this.capacity) at -= this.capacity;
    this.slots[at] = event;
    this.count++;
    return true;
  }

  /** The oldest event, without removing it. */
  peek(): TraceEvent | undefined {
    return this.count === 0 ? undefined : this.slots[this.head];
  }

  /** Removes the oldest event (releasing the slot's reference so it can be collected). */
  drop(): void {
    if (this.count === 0) return;
    this.slots[this.head] = undefined;
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    this.count--;
  }
}

/**
 * Service index: per service (an interned id), the serials of the stored traces involving it, in
 * the order the service first appeared in them, so a search by service walks newest first and
 * stops at its limit. Evicted traces are dropped lazily — skipped by searches (their serial is
 * below the ring's head), shifted off at the head, compacted away when they outnumber the live
 * ones — which costs no hashing per write.
 *
 * Invariant: a service's list is deleted when it holds no live trace, so an interned id freed
 * after its last trace is evicted never finds a stale list when reused.
 */

/** Smallest list: grows by doubling. */
const MIN_CAPACITY = 8;

/** Trace serials of one service: a growable ring of numbers. */
export class SerialList {
  private items = new Float64Array(MIN_CAPACITY);
  private head = 0;
  size = 0;
  /** Entries naming evicted traces still in the list. */
  evicted = 0;

  push(serial: number): void {
    if (this.size === this.items.length) {
      const items = new Float64Array(this.items.length * 2);
      for (let i = 0; i < this.size; i++) items[i] = this.at(i);
      this.items = items;
      this.head = 0;
    }
    this.items[(this.head + this.size) & (this.items.length - 1)] = serial;
    this.size++;
  }

  /** The serial `index` places from the oldest. */
  at(index: number): number {
    return this.items[(this.head + index) & (this.items.length - 1)] as number;
  }

  shift(): void {
    this.head = (this.head + 1) & (this.items.length - 1);
    this.size--;
  }

  /** Keeps the serials for which `keep` is true, in order. */
  retain(keep: (serial: number) => boolean): void {
    let kept = 0;
    const items = new Float64Array(Math.max(MIN_CAPACITY, this.items.length));
    for (let i = 0; i < this.size; i++) {
      const serial = this.at(i);
      if (keep(serial)) items[kept++] = serial;
    }
    this.items = items;
    this.head = 0;
    this.size = kept;
  }
}

export class ServiceIndex {
  /**
   * Lists by service id. An array, not a Map: the ids are the string interner's, small and reused
   * after release, so the array stays as long as the most names held at once; every stored and
   * evicted trace looks up two lists, and an index read is cheaper than a hash lookup.
   */
  private lists: (SerialList | undefined)[] = [];

  /** The traces of `service`, or undefined when none is stored. */
  get(service: number): SerialList | undefined {
    return this.lists[service];
  }

  /** Records that the trace of `serial` involves `service` (once per trace and service). */
  add(service: number, serial: number): void {
    let list = this.lists[service];
    if (list === undefined) {
      list = new SerialList();
      // Filled up to the id first: a large first id written past the end would make the array
      // sparse, and V8 keeps sparse arrays as dictionaries.
      while (this.lists.length < service) this.lists.push(undefined);
      this.lists[service] = list;
    }
    list.push(serial);
  }

  /**
   * Accounts an evicted trace of `service`: drops evicted serials at the head (those below
   * `liveFrom`), compacts when evicted ones dominate, deletes the list once empty.
   */
  evicted(service: number, liveFrom: number): void {
    const list = this.lists[service];
    if (list === undefined) return;
    list.evicted++;
    while (list.size > 0 && list.at(0) < liveFrom) {
      list.shift();
      list.evicted--;
    }
    if (list.size === 0) this.lists[service] = undefined;
    else if (list.evicted > list.size / 2) {
      list.retain((serial) => serial >= liveFrom);
      list.evicted = 0;
    }
  }

  clear(): void {
    this.lists = [];
  }
}

/**
 * Which Kafka offsets an assembler may commit. An offset is safe once every span built from the
 * records before it is stored: then a crash replays nothing that is not already in Elasticsearch
 * except whole hops, and ES document ids make the replay idempotent.
 *
 * Two facts make this cheap without tracking hops: (1) the assembly core emits every hop at the
 * latest `spanTimeoutMillis` after its first event (complete earlier, partial on timeout), so a
 * record consumed at time c has all its spans handed to the store once a sweep ran at c +
 * spanTimeoutMillis; (2) store writes are numbered, and {@link WriteWatermark} says up to which
 * number all of them are settled. A record's barrier is the write number current when its
 * emission deadline passed; the record is safe once the watermark reaches its barrier.
 *
 * A hop emitted PARTIAL (its other events late: a receiver buffering through a Kafka outage, a slow
 * tracer) is not final: its late events update it for `lateWindowMillis`. Committing past its
 * records would let a replay after a rebalance rebuild only the late half, which would then stand
 * alone in Elasticsearch. So the records consumed since such a hop's first event are held
 * uncommitted until it completes or its late window ends (the assembler keeps these holds).
 */

/** Numbers store writes and tracks the highest number below which all are settled. */
export class WriteWatermark {
  private next = 1;
  private unsettled: number[] = [];
  private head = 0;
  private readonly done = new Set<number>();
  /** Writes that settled with dropped spans; a non-zero value stops commits (see assembler health). */
  lostWrites = 0;

  /** Starts a write; returns its number. */
  begin(): number {
    const seq = this.next++;
    this.unsettled.push(seq);
    return seq;
  }

  /** Marks write `seq` settled. */
  settle(seq: number, stored: boolean): void {
    if (!stored) this.lostWrites++;
    this.done.add(seq);
    while (this.head < this.unsettled.length && this.done.has(this.unsettled[this.head] as number)) {
      this.done.delete(this.unsettled[this.head] as number);
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.unsettled.length) {
      this.unsettled = this.unsettled.slice(this.head);
      this.head = 0;
    }
  }

  /** The number of the latest write begun. */
  get issuedThrough(): number {
    return this.next - 1;
  }

  /** Every write numbered up to this is settled. */
  get settledThrough(): number {
    return this.head < this.unsettled.length ? (this.unsettled[this.head] as number) - 1 : this.next - 1;
  }

  /** Writes begun and not settled yet. */
  get pendingWrites(): number {
    return this.unsettled.length - this.head;
  }
}

/** One consumed position of a partition, waiting to become safe. */
interface Checkpoint<T> {
  offset: bigint;
  consumedAtMillis: number;
  /** Write number current when the emission deadline passed; -1 before. */
  barrier: number;
  /** What the caller needs to commit it (the consumed message). */
  handle: T;
}

/**
 * Consumed positions of one partition in consumption order. Checkpoints closer than
 * `coalesceMillis` replace each other, so memory is bounded by time, not by record rate.
 */
export class PartitionProgress<T> {
  private checkpoints: Checkpoint<T>[] = [];
  private lastOffset = -1n;
  /** Offset of the last record committed (next offset to read after a restart is this + 1). */
  committedOffset = -1n;
  /** Records consumed from this partition since it was assigned. */
  consumedRecords = 0;

  constructor(private readonly coalesceMillis: number) {}

  /** Records that the record at `offset` was handed to the assembly core at `nowMillis`. */
  observe(offset: bigint, nowMillis: number, handle: T): void {
    this.consumedRecords++;
    if (offset <= this.lastOffset) {
      // The stream went back (a rebalance refetches from the committed offset): positions seen
      // before may belong to discarded assembly state, so none of them may be committed.
      this.checkpoints = [];
    }
    this.lastOffset = offset;
    const last = this.checkpoints[this.checkpoints.length - 1];
    if (last && last.barrier === -1 && nowMillis - last.consumedAtMillis < this.coalesceMillis) {
      // Same time slice: the later offset covers the earlier one (its deadline is the earlier's
      // plus at most coalesceMillis, which the caller adds to the emission delay).
      last.offset = offset;
      last.handle = handle;
      return;
    }
    this.checkpoints.push({ offset, consumedAtMillis: nowMillis, barrier: -1, handle });
  }

  /**
   * Assigns barriers to checkpoints whose emission deadline passed (the caller swept the core
   * first), then returns the latest checkpoint that is safe to commit, removing it and those
   * before it; undefined when none is. Checkpoints consumed at or after `holdFromMillis` are held.
   */
  takeSafe(
    nowMillis: number,
    emitDelayMillis: number,
    watermark: WriteWatermark,
    holdFromMillis = Number.POSITIVE_INFINITY,
  ): Checkpoint<T> | undefined {
    for (const cp of this.checkpoints) {
      if (cp.barrier !== -1) continue;
      if (cp.consumedAtMillis + emitDelayMillis > nowMillis) break;
      cp.barrier = watermark.issuedThrough;
    }
    let safe = -1;
    for (let i = 0; i < this.checkpoints.length; i++) {
      const cp = this.checkpoints[i] as Checkpoint<T>;
      if (cp.barrier === -1 || cp.barrier > watermark.settledThrough) break;
      // Records consumed from `holdFromMillis` on may belong to a partial span still open for late
      // events: committing them would let a replay rebuild only the late half.
      if (cp.consumedAtMillis + this.coalesceMillis >= holdFromMillis) break;
      safe = i;
    }
    if (safe < 0) return undefined;
    const cp = this.checkpoints[safe] as Checkpoint<T>;
    this.checkpoints = this.checkpoints.slice(safe + 1);
    return cp;
  }

  /** Consumed positions not yet safe. */
  get waitingCheckpoints(): number {
    return this.checkpoints.length;
  }
}

/**
 * Which fetched records an assembler may assemble after a rebalance. On every group join the
 * assembler discards its assembly state, so each assigned partition must be read again from exactly
 * its replay start: the committed offset, or the log start when nothing is committed yet.
 *
 * The Kafka client does not guarantee that by itself. After a join it repositions its fetches from
 * the committed offsets asynchronously, and (1) a fetch already in flight when the join happened can
 * complete after that and move the position back past the records it returns, and (2) a partition
 * with no committed offset keeps the position the stream had before the join. Either way the
 * records between the replay start and that position would never be assembled again.
 *
 * So the gate holds each partition shut until a record at exactly its start arrives; anything else
 * is dropped and the partition's fetch position is sent back to the start ('seek'). Once open, a
 * partition's records are accepted in increasing offsets (a re-seek can repeat a few, which are
 * dropped). Until the starts of a join are known, every record is dropped.
 *
 * A log may have no record at the start itself (a transaction marker, a compacted record): a fetch
 * from the start then begins after it. When records at the same later offset arrive first
 * {@link SAME_FIRST_OFFSET_SEEKS} times in a row, that offset is taken as the partition's first.
 */

/** Seeks back to a start that may bring the same later first record before it is taken as the first. */
export const SAME_FIRST_OFFSET_SEEKS = 2;

/** What to do with one fetched record. */
export type GateVerdict = 'accept' | 'drop' | 'seek';

export class ReplayGate {
  private epoch = 0;
  /** Replay start per assigned partition; undefined while the starts of the current join are unknown. */
  private starts: ReadonlyMap<number, bigint> | undefined;
  /** Partitions whose start record has arrived → the next offset expected. */
  private readonly next = new Map<number, bigint>();
  /** Partitions still shut → the first offset of the last seek and how many seeks in a row had it. */
  private readonly seeks = new Map<number, { offset: bigint; count: number }>();

  /** Shuts every partition (a join happened); returns the epoch to pass to {@link open}. */
  shut(): number {
    this.starts = undefined;
    this.next.clear();
    this.seeks.clear();
    return ++this.epoch;
  }

  /**
   * Sets the replay starts found for the join of `epoch`. Returns false when another join happened
   * since (the starts are stale and ignored).
   */
  open(epoch: number, starts: ReadonlyMap<number, bigint>): boolean {
    if (epoch !== this.epoch) return false;
    this.starts = starts;
    return true;
  }

  /** Whether no join happened since the one of `epoch`. */
  isCurrent(epoch: number): boolean {
    return epoch === this.epoch;
  }

  /** The replay start of a partition, undefined when it is not assigned or not known yet. */
  startOf(partition: number): bigint | undefined {
    return this.starts?.get(partition);
  }

  /** Decides about the record at `offset` of `partition`. */
  check(partition: number, offset: bigint): GateVerdict {
    const expected = this.next.get(partition);
    if (expected !== undefined) {
      if (offset < expected) return 'drop';
      this.next.set(partition, offset + 1n);
      return 'accept';
    }
    const start = this.starts?.get(partition);
    if (start === undefined) return 'drop';
    // Before the start: already committed, so stored; the stream is sent forward.
    if (offset < start) return 'seek';
    if (offset > start) {
      const last = this.seeks.get(partition);
      if (last?.offset !== offset) this.seeks.set(partition, { offset, count: 1 });
      else if (last.count < SAME_FIRST_OFFSET_SEEKS) last.count++;
      else return this.accept(partition, offset);
      return 'seek';
    }
    return this.accept(partition, offset);
  }

  private accept(partition: number, offset: bigint): GateVerdict {
    this.seeks.delete(partition);
    this.next.set(partition, offset + 1n);
    return 'accept';
  }
}

/**
 * Replay start of each assigned partition: its committed offset, or the log start when nothing is
 * committed (or when retention has removed the committed position).
 */
export function replayStarts(
  assigned: readonly number[],
  committed: readonly (bigint | undefined)[],
  logStarts: readonly (bigint | undefined)[],
): Map<number, bigint> {
  const starts = new Map<number, bigint>();
  for (const partition of assigned) {
    const logStart = logStarts[partition] ?? 0n;
    const commit = committed[partition] ?? -1n;
    starts.set(partition, commit >= 0n && commit > logStart ? commit : logStart);
  }
  return starts;
}

import { build, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';

/**
 * Largest latency tracked precisely: one hour in µs. Longer values are clamped to it (and still
 * counted); an RPC longer than an hour is an anomaly whatever its exact length.
 */
export const MAX_TRACKED_MICROS = 3_600_000_000;
/** Two significant digits = 1 % value resolution, plenty for p50/p95/p99 and 10× smaller than 3 digits. */
const SIGNIFICANT_DIGITS = 2;

/** Counts and latency percentiles of one key over one window. */
export interface WindowStats {
  count: number;
  /** Requests per second over the window (or since start when the collector is younger). */
  ratePerSecond: number;
  errors: number;
  p50Micros: number;
  p95Micros: number;
  p99Micros: number;
  maxMicros: number;
}

/*
 * The live bucket counts values in a flat array laid out exactly like an HDR histogram with
 * lowest value 1 and SIGNIFICANT_DIGITS = 2 (sub-buckets of 256: values below 256 exact, then
 * 128 sub-buckets per power of two). Recording is then one index computation and an increment —
 * hdr-histogram-js's recordValue costs ~150 ns, and the collector records three values per span.
 * When the slot is sealed (or a snapshot needs it) each non-zero count is replayed into a real
 * HDR histogram at its sub-bucket's lowest value, which lands in the same HDR sub-bucket, so
 * percentiles are exactly what recording into HDR directly would give (tested).
 */
/** log2(256 sub-buckets / 2): the HDR layout for 2 significant digits. */
const SUB_BUCKET_HALF_COUNT_MAGNITUDE = 7;
const SUB_BUCKET_HALF_COUNT = 1 << SUB_BUCKET_HALF_COUNT_MAGNITUDE;
const SUB_BUCKET_MASK = 2 * SUB_BUCKET_HALF_COUNT - 1;

/** Index of an integer value (0 ≤ value < 2^32) in the HDR counts layout. */
export function liveIndex(value: number): number {
  const bucketIndex = 32 - Math.clz32(value | SUB_BUCKET_MASK) - (SUB_BUCKET_HALF_COUNT_MAGNITUDE + 1);
  const subBucketIndex = value >>> bucketIndex;
  return ((bucketIndex + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + subBucketIndex - SUB_BUCKET_HALF_COUNT;
}

/** Lowest value that {@link liveIndex} maps to `index`. */
export function liveIndexValue(index: number): number {
  if (index < 2 * SUB_BUCKET_HALF_COUNT) return index;
  const bucketIndex = (index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) - 1;
  return ((index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT) * 2 ** bucketIndex;
}

/** Counts array length covering MAX_TRACKED_MICROS. */
const LIVE_COUNTS_LENGTH = liveIndex(MAX_TRACKED_MICROS) + 1;

interface Bucket {
  /** Index of the time slot this bucket holds (wall time / bucket width); -1 when unused. */
  slot: number;
  count: number;
  errors: number;
  /** Exact maximum (the histogram's is rounded to its 1 % resolution). */
  max: number;
  histogram: Histogram | undefined;
}

function newHistogram(): Histogram {
  // 'packed' storage grows with the number of distinct values seen, not the value range, so a
  // sealed bucket costs a few hundred bytes; recording into it is slow (~1.9 µs), so values are
  // counted in a flat live array first and replayed here once per bucket.
  return build({
    bitBucketSize: 'packed',
    lowestDiscernibleValue: 1,
    highestTrackableValue: MAX_TRACKED_MICROS,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    autoResize: false,
  });
}

/**
 * A ring of fixed-width time buckets, each with a count, an error count and an HDR histogram.
 * A window is the merge of its most recent buckets, so it slides by one bucket width.
 */
export class RollingHistogram {
  private readonly buckets: Bucket[];
  /** Counts of the current slot (HDR layout); sealed into its (packed) bucket when the slot changes. */
  private readonly live = new Uint32Array(LIVE_COUNTS_LENGTH);
  private liveCount = 0;
  private liveSlot = -1;

  /**
   * @param bucketMillis width of one bucket
   * @param bucketCount buckets kept: the largest window divided by the bucket width
   */
  constructor(
    private readonly bucketMillis: number,
    bucketCount: number,
  ) {
    this.buckets = Array.from({ length: bucketCount }, () => ({
      slot: -1,
      count: 0,
      errors: 0,
      max: 0,
      histogram: undefined,
    }));
  }

  /** Records one request that took `durationMicros` at wall time `nowMillis`. */
  record(durationMicros: number, error: boolean, nowMillis: number): void {
    const slot = Math.floor(nowMillis / this.bucketMillis);
    const bucket = this.buckets[slot % this.buckets.length] as Bucket;
    if (bucket.slot !== slot) {
      this.seal();
      this.liveSlot = slot;
      bucket.slot = slot;
      bucket.count = 0;
      bucket.errors = 0;
      bucket.max = 0;
      bucket.histogram?.reset();
    }
    bucket.count++;
    if (error) bucket.errors++;
    const value =
      durationMicros > MAX_TRACKED_MICROS ? MAX_TRACKED_MICROS : durationMicros > 0 ? Math.round(durationMicros) : 0;
    const index = liveIndex(value);
    this.live[index] = (this.live[index] as number) + 1;
    this.liveCount++;
    if (value > bucket.max) bucket.max = value;
  }

  /**
   * Counts, errors, max and one merged histogram (undefined when empty; the caller destroys it) over
   * the last `windowBuckets` buckets ending at `nowMillis`, the live bucket included.
   */
  private mergeWindow(
    windowBuckets: number,
    nowMillis: number,
  ): { count: number; errors: number; max: number; merged: Histogram | undefined } {
    const current = Math.floor(nowMillis / this.bucketMillis);
    const oldest = current - Math.min(windowBuckets, this.buckets.length) + 1;
    let count = 0;
    let errors = 0;
    let max = 0;
    let merged: Histogram | undefined;
    for (const bucket of this.buckets) {
      if (bucket.slot < oldest || bucket.slot > current || bucket.count === 0) continue;
      count += bucket.count;
      errors += bucket.errors;
      if (bucket.max > max) max = bucket.max;
      if (bucket.histogram) {
        merged ??= newHistogram();
        merged.add(bucket.histogram);
      }
    }
    if (this.liveSlot >= oldest && this.liveSlot <= current && this.liveCount > 0) {
      merged ??= newHistogram();
      this.replayLive(merged);
    }
    return { count, errors, max, merged };
  }

  /**
   * Stats over the last `windowBuckets` buckets ending at `nowMillis`; `elapsedMillis` (time since
   * the collector started) shortens the rate's denominator while the window is not yet full.
   */
  snapshot(windowBuckets: number, nowMillis: number, elapsedMillis: number): WindowStats {
    const { count, errors, max, merged } = this.mergeWindow(windowBuckets, nowMillis);
    const windowMillis = windowBuckets * this.bucketMillis;
    const seconds = Math.max(1, Math.min(windowMillis, elapsedMillis)) / 1000;
    const stats: WindowStats = {
      count,
      ratePerSecond: count / seconds,
      errors,
      p50Micros: merged ? merged.getValueAtPercentile(50) : 0,
      p95Micros: merged ? merged.getValueAtPercentile(95) : 0,
      p99Micros: merged ? merged.getValueAtPercentile(99) : 0,
      maxMicros: max,
    };
    merged?.destroy();
    return stats;
  }

  /**
   * The last `windowBuckets` buckets as mergeable parts: counts, errors, exact max and the merged
   * HDR histogram compressed (base64, '' when empty), so several collectors' windows can be
   * summed exactly (see mergeable-snapshot.ts).
   */
  windowPart(
    windowBuckets: number,
    nowMillis: number,
  ): { count: number; errors: number; maxMicros: number; histogram: string } {
    const { count, errors, max, merged } = this.mergeWindow(windowBuckets, nowMillis);
    const histogram = merged ? encodeIntoCompressedBase64(merged) : '';
    merged?.destroy();
    return { count, errors, maxMicros: max, histogram };
  }

  /** Moves the live slot's values into its ring bucket (packed) and clears the live histogram. */
  private seal(): void {
    if (this.liveSlot < 0 || this.liveCount === 0) return;
    const bucket = this.buckets[this.liveSlot % this.buckets.length] as Bucket;
    if (bucket.slot === this.liveSlot) {
      bucket.histogram ??= newHistogram();
      this.replayLive(bucket.histogram);
    }
    this.live.fill(0);
    this.liveCount = 0;
  }

  /** Adds the live counts to an HDR histogram (see the layout note above). */
  private replayLive(target: Histogram): void {
    const live = this.live;
    for (let i = 0; i < live.length; i++) {
      const count = live[i] as number;
      if (count !== 0) target.recordValueWithCount(liveIndexValue(i), count);
    }
  }

  /** True when no bucket holds data newer than `oldestSlotMillis`. */
  isIdleSince(oldestMillis: number): boolean {
    const oldestSlot = Math.floor(oldestMillis / this.bucketMillis);
    return this.buckets.every((b) => b.slot < oldestSlot || b.count === 0);
  }
}

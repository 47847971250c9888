import { PairMap } from '../aggregates/pair-map.js';
import type { EmitReason } from '../assembly/span-sink.js';
import { CollectorError } from '../errors.js';
import type { Span } from '../model/span.js';
import { N_DURATION, NUMBER_STRIDE, type SpanBatch, T_TO, T_TO_ENDPOINT, TEXT_STRIDE } from '../model/span-batch.js';
import type { SpanConsumer } from '../pipeline/pipeline-component.js';

/**
 * Upper bounds (seconds) of the span-duration buckets: from half a millisecond (a cache hit on the same host)
 * to ten seconds (a client timeout), roughly ×2.5 apart so `histogram_quantile` stays within a bucket's width.
 */
export const DEFAULT_SPAN_DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
/** Series (service, endpoint) at most: 1,000 × 16 bucket lines keeps a scrape under ~2 MB. */
export const DEFAULT_MAX_SPAN_DURATION_SERIES = 1_000;
/** Label value of the series that absorbs spans past the series bound (so totals stay right). */
export const OVERFLOW_LABEL = '_other';

/** `metrics` config section. */
export interface SpanDurationHistogramsConfig {
  /** Bucket upper bounds in seconds, strictly increasing (`+Inf` is implicit). */
  spanDurationBucketsSeconds: readonly number[];
  /** Distinct (service, endpoint) series kept; spans of further pairs count under `_other`. */
  maxSpanDurationSeries: number;
}

/** One series: cumulative per-bucket counts (non-cumulative here, summed at scrape), sum and count. */
interface Series {
  service: string;
  endpoint: string;
  counts: Float64Array;
  sumSeconds: number;
}

/**
 * Cumulative span-duration histograms per callee service and endpoint, for Prometheus'
 * `histogram_quantile`. Recording is a map lookup and a binary search per span (no prom-client on the hot
 * path); the registry reads the counts at scrape time. Bounded by `maxSpanDurationSeries`.
 */
export class SpanDurationHistograms implements SpanConsumer {
  readonly statsKey = 'spanDurations';
  readonly bucketsSeconds: readonly number[];
  private readonly bounds: Float64Array;
  private readonly series = new Map<string, Series>();
  /**
   * The series of each (service, endpoint) already found in `series`, by the two strings: the
   * names are interned by the decoder, so nested lookups reuse their cached hashes where the
   * joined key would be a new string to build and hash for every span. Pairs counted under
   * `_other` are not kept here (each such span is counted as overflowed).
   */
  private readonly byPair = new PairMap<Series>();
  private readonly maxSeries: number;
  /** Spans counted under `_other` because the series bound was reached. */
  overflowedSpans = 0;

  /** Throws COL_ERR_CONFIG_INVALID naming `metrics.spanDurationBucketsSeconds` unless the bounds increase. */
  constructor(config: SpanDurationHistogramsConfig) {
    const b = config.spanDurationBucketsSeconds;
    if (b.some((v, i) => i > 0 && v <= (b[i - 1] as number))) {
      throw new CollectorError(
        'COL_ERR_CONFIG_INVALID',
        `metrics.spanDurationBucketsSeconds: bucket bounds must increase (got ${b.join(', ')})`,
        'metrics.spanDurationBucketsSeconds',
      );
    }
    this.bucketsSeconds = [...b];
    this.bounds = Float64Array.from(this.bucketsSeconds);
    this.maxSeries = config.maxSpanDurationSeries;
  }

  /** Pipeline entry: late updates re-emit a span already counted, so they are skipped (as the aggregates do). */
  consume(spans: readonly Span[], reason: EmitReason): void {
    if (reason !== 'late') this.recordAll(spans);
  }

  /** {@link consume} for spans as columns. */
  consumeBatch(batch: SpanBatch, reason: EmitReason): void {
    if (reason === 'late') return;
    const text = batch.text;
    const numbers = batch.numbers;
    for (let i = 0; i < batch.length; i++) {
      const t = i * TEXT_STRIDE;
      this.recordOne(
        text[t + T_TO] as string,
        text[t + T_TO_ENDPOINT] as string,
        numbers[i * NUMBER_STRIDE + N_DURATION] as number,
      );
    }
  }

  /** Series kept and spans counted under `_other`, for /api/stats. */
  stats(): { spanDurationSeries: number; overflowedSpans: number } {
    return { spanDurationSeries: this.series.size, overflowedSpans: this.overflowedSpans };
  }

  /** Counts each span's duration under its callee service and endpoint. */
  recordAll(spans: readonly Span[]): void {
    for (const span of spans) this.recordOne(span.to, span.toEndpoint, span.durationMicros);
  }

  private recordOne(service: string, endpoint: string, durationMicros: number): void {
    const seconds = durationMicros / 1e6;
    const s = this.seriesFor(service, endpoint);
    s.counts[this.bucketIndex(seconds)]! += 1;
    s.sumSeconds += seconds;
  }

  /** Series in insertion order; `counts` has one slot per bucket plus `+Inf`. */
  snapshot(): readonly Readonly<Series>[] {
    return [...this.series.values()];
  }

  private seriesFor(service: string, endpoint: string): Series {
    let s = this.byPair.get(service, endpoint);
    if (s === undefined) {
      const overflowed = this.overflowedSpans;
      s = this.seriesByKey(service, endpoint);
      if (this.overflowedSpans !== overflowed) return s;
      this.byPair.set(service, endpoint, s);
    }
    return s;
  }

  private seriesByKey(service: string, endpoint: string): Series {
    const key = `${service}\u0000${endpoint}`;
    let s = this.series.get(key);
    if (s) return s;
    if (this.series.size >= this.maxSeries) {
      this.overflowedSpans++;
      const overflowKey = `${OVERFLOW_LABEL}\u0000${OVERFLOW_LABEL}`;
      s = this.series.get(overflowKey);
      if (s) return s;
      s = this.newSeries(OVERFLOW_LABEL, OVERFLOW_LABEL);
      this.series.set(overflowKey, s);
      return s;
    }
    s = this.newSeries(service, endpoint);
    this.series.set(key, s);
    return s;
  }

  private newSeries(service: string, endpoint: string): Series {
    return { service, endpoint, counts: new Float64Array(this.bounds.length + 1), sumSeconds: 0 };
  }

  /** First bucket whose upper bound is >= seconds (Prometheus buckets are `le`), or the `+Inf` slot. */
  private bucketIndex(seconds: number): number {
    let lo = 0;
    let hi = this.bounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.bounds[mid] as number) >= seconds) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

import { build } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import {
  liveIndex,
  liveIndexValue,
  MAX_TRACKED_MICROS,
  RollingHistogram,
} from '../../src/aggregates/rolling-histogram.js';
import { prng } from '../support/hops.js';

const BUCKET_MILLIS = 10_000;
const T = 1_700_000_000_000;

function reference(values: number[]) {
  const h = build({
    bitBucketSize: 'packed',
    lowestDiscernibleValue: 1,
    highestTrackableValue: MAX_TRACKED_MICROS,
    numberOfSignificantValueDigits: 2,
    autoResize: false,
  });
  for (const v of values) h.recordValue(v);
  return h;
}

describe('RollingHistogram live counts (HDR layout)', () => {
  it('maps every value to the HDR sub-bucket whose lowest value maps back to it', () => {
    const values = [
      0,
      1,
      127,
      128,
      255,
      256,
      257,
      511,
      512,
      1023,
      1024,
      99_999,
      2 ** 31 - 1,
      2 ** 31,
      MAX_TRACKED_MICROS,
    ];
    const random = prng(3);
    for (let i = 0; i < 2000; i++) values.push(Math.floor(random() ** 4 * MAX_TRACKED_MICROS));
    // JsHistogram has lowestEquivalentValue; the published Histogram interface does not declare it.
    const hdr = reference([]) as unknown as { lowestEquivalentValue(value: number): number };
    for (const v of values) {
      const index = liveIndex(v);
      expect(liveIndex(liveIndexValue(index))).toBe(index);
      expect(liveIndexValue(index)).toBe(hdr.lowestEquivalentValue(v));
    }
  });

  it('gives exactly the percentiles and counts of recording into HDR directly', () => {
    const random = prng(11);
    const values = Array.from({ length: 5000 }, () => Math.round(50 + random() ** 3 * 5_000_000));
    const rolling = new RollingHistogram(BUCKET_MILLIS, 90);
    // Spread over three buckets so sealed (replayed) and live counts are both merged.
    for (const [i, v] of values.entries()) {
      rolling.record(v, i % 10 === 0, T + Math.floor((3 * i) / values.length) * BUCKET_MILLIS);
    }
    const stats = rolling.snapshot(90, T + 2 * BUCKET_MILLIS, 15 * 60_000);
    const direct = reference(values);
    expect(stats.count).toBe(values.length);
    expect(stats.errors).toBe(500);
    expect(stats.maxMicros).toBe(Math.max(...values));
    expect([stats.p50Micros, stats.p95Micros, stats.p99Micros]).toEqual([
      direct.getValueAtPercentile(50),
      direct.getValueAtPercentile(95),
      direct.getValueAtPercentile(99),
    ]);
  });
});

/**
 * Aggregates that several collectors (or engine shards) can sum exactly: per row the window's
 * count, errors, exact max and HDR histogram (compressed base64), instead of percentiles, which
 * cannot be combined. {@link mergeAggregateSnapshots} adds the rows of the same key and computes
 * the percentiles of the summed histograms — the same figures one collector seeing all the
 * traffic would report.
 */
import { decodeFromCompressedBase64, type Histogram } from 'hdr-histogram-js';
import type { AggregatesSnapshot, MergeableAggregates, MergeableWindow } from './aggregate-views.js';
import type { WindowStats } from './rolling-histogram.js';

/** Sums snapshots of the same window from several collectors into the API's AggregatesSnapshot. */
export function mergeAggregateSnapshots(parts: readonly MergeableAggregates[]): AggregatesSnapshot | undefined {
  const first = parts[0];
  if (!first) return undefined;
  const elapsed = Math.max(...parts.map((p) => p.elapsedMillis));
  const seconds = Math.max(1, Math.min(first.windowSeconds * 1000, elapsed)) / 1000;
  const merge = <L extends object>(rows: (L & MergeableWindow)[], key: (row: L) => string, labels: (row: L) => L) => {
    const byKey = new Map<string, { labels: L; count: number; errors: number; max: number; histogram?: Histogram }>();
    for (const row of rows) {
      const k = key(row);
      let acc = byKey.get(k);
      if (!acc) {
        acc = { labels: labels(row), count: 0, errors: 0, max: 0 };
        byKey.set(k, acc);
      }
      acc.count += row.count;
      acc.errors += row.errors;
      if (row.maxMicros > acc.max) acc.max = row.maxMicros;
      if (row.histogram) {
        const h = decodeFromCompressedBase64(row.histogram);
        if (acc.histogram) {
          acc.histogram.add(h);
          h.destroy();
        } else acc.histogram = h;
      }
    }
    const out: (L & WindowStats)[] = [];
    for (const acc of byKey.values()) {
      const h = acc.histogram;
      out.push({
        ...acc.labels,
        count: acc.count,
        ratePerSecond: acc.count / seconds,
        errors: acc.errors,
        p50Micros: h ? h.getValueAtPercentile(50) : 0,
        p95Micros: h ? h.getValueAtPercentile(95) : 0,
        p99Micros: h ? h.getValueAtPercentile(99) : 0,
        maxMicros: acc.max,
      });
      h?.destroy();
    }
    return out.sort((a, b) => b.count - a.count);
  };
  return {
    window: first.window,
    windowSeconds: first.windowSeconds,
    generatedAtMicros: Math.max(...parts.map((p) => p.generatedAtMicros)),
    endpoints: merge(
      parts.flatMap((p) => p.endpoints),
      (r) => `${r.service}\u0000${r.endpoint}`,
      (r) => ({ service: r.service, endpoint: r.endpoint }),
    ),
    edges: merge(
      parts.flatMap((p) => p.edges),
      (r) => `${r.from}\u0000${r.to}`,
      (r) => ({ from: r.from, to: r.to }),
    ),
    hosts: merge(
      parts.flatMap((p) => p.hosts),
      (r) => r.host,
      (r) => ({ host: r.host }),
    ),
  };
}

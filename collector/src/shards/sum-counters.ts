/**
 * Sums counter records field by field (nested records too): what N shards report becomes what
 * one collector reports. A string field (a store's name) keeps the first value; gauges such as
 * `pendingSpans` sum to the collector's total, as they should.
 */
export function sumCounters(records: readonly object[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const record of records) {
    for (const [key, value] of Object.entries(record)) {
      const current = out[key];
      if (typeof value === 'number') out[key] = (typeof current === 'number' ? current : 0) + value;
      else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        out[key] = sumCounters(typeof current === 'object' && current !== null ? [current, value] : [value]);
      } else if (current === undefined) out[key] = value;
    }
  }
  return out;
}

import type { TraceSummary } from '../model/span.js';

/**
 * One search result from the shards' results: each shard returned its best `limit` traces, so the
 * newest `limit` of their union are the newest `limit` overall. Newest first by trace start; ties
 * by trace id so pages are stable. A trace id seen twice (a shared store answering for several
 * shards) is kept once.
 */
export function mergeTraceSummaries(results: readonly TraceSummary[][], limit: number): TraceSummary[] {
  const seen = new Set<string>();
  const all: TraceSummary[] = [];
  for (const list of results) {
    for (const summary of list) {
      if (seen.has(summary.traceId)) continue;
      seen.add(summary.traceId);
      all.push(summary);
    }
  }
  all.sort((a, b) => b.startMicros - a.startMicros || (a.traceId < b.traceId ? -1 : a.traceId > b.traceId ? 1 : 0));
  return all.slice(0, limit);
}

/**
 * Side-by-side comparison of two traces by hop: spans are grouped by caller → callee endpoint,
 * and each group's count and total duration are compared. Rows are sorted so the largest
 * differences come first.
 */
import type { Span } from '../api/types.js';

export interface HopComparison {
  /** `from.fromEndpoint → to.toEndpoint`. */
  key: string;
  from: string;
  to: string;
  toEndpoint: string;
  countA: number;
  countB: number;
  totalMicrosA: number;
  totalMicrosB: number;
  errorsA: number;
  errorsB: number;
  /** 'only-a' | 'only-b' | 'count' (call counts differ) | 'duration' (same count, slower/faster) | 'same'. */
  difference: 'only-a' | 'only-b' | 'count' | 'duration' | 'same';
}

/** Duration differences below this share of the larger total are noise, not a difference. */
const DURATION_DIFF_RATIO = 0.2;

function hopKey(s: Span): string {
  return `${s.from}.${s.fromEndpoint} → ${s.to}.${s.toEndpoint}`;
}

/** Compares two traces' hops. */
export function compareTraces(a: readonly Span[], b: readonly Span[]): HopComparison[] {
  const rows = new Map<string, HopComparison>();
  const add = (span: Span, side: 'A' | 'B') => {
    const key = hopKey(span);
    let row = rows.get(key);
    if (!row) {
      row = {
        key,
        from: span.from,
        to: span.to,
        toEndpoint: span.toEndpoint,
        countA: 0,
        countB: 0,
        totalMicrosA: 0,
        totalMicrosB: 0,
        errorsA: 0,
        errorsB: 0,
        difference: 'same',
      };
      rows.set(key, row);
    }
    const failed = span.errorCode || span.errorDescription ? 1 : 0;
    if (side === 'A') {
      row.countA++;
      row.totalMicrosA += span.durationMicros;
      row.errorsA += failed;
    } else {
      row.countB++;
      row.totalMicrosB += span.durationMicros;
      row.errorsB += failed;
    }
  };
  for (const s of a) add(s, 'A');
  for (const s of b) add(s, 'B');
  for (const row of rows.values()) {
    if (row.countB === 0) row.difference = 'only-a';
    else if (row.countA === 0) row.difference = 'only-b';
    else if (row.countA !== row.countB) row.difference = 'count';
    else {
      const larger = Math.max(row.totalMicrosA, row.totalMicrosB);
      row.difference =
        larger > 0 && Math.abs(row.totalMicrosA - row.totalMicrosB) / larger >= DURATION_DIFF_RATIO
          ? 'duration'
          : 'same';
    }
  }
  const weight = (r: HopComparison) => (r.difference === 'same' ? 0 : 1);
  return [...rows.values()].sort(
    (x, y) =>
      weight(y) - weight(x) ||
      Math.abs(y.totalMicrosA - y.totalMicrosB) - Math.abs(x.totalMicrosA - x.totalMicrosB) ||
      x.key.localeCompare(y.key),
  );
}

import { describe, expect, it } from 'vitest';
import { generateTrace } from '../../src/fixtures/synthetic-trace.js';
import { COMPLETENESS_CODES } from '../../src/model/span-completeness.js';
import { ancestorsOf, buildTraceTree, visibleRows } from '../../src/model/trace-tree.js';
import { span } from '../support/spans.js';

describe('buildTraceTree', () => {
  it('orders spans depth-first with children by start time and records subtree bounds', () => {
    // root ─┬─ b (starts later) ── d
    //       └─ a (starts first)
    const tree = buildTraceTree([
      span('d', 'b', 50, 10),
      span('b', 'root', 40, 40),
      span('root', undefined, 0, 100),
      span('a', 'root', 10, 20),
    ]);
    expect(tree.spans.map((s) => s.spanId)).toEqual(['root', 'a', 'b', 'd']);
    expect([...tree.depth]).toEqual([0, 1, 1, 2]);
    expect([...tree.parent]).toEqual([-1, 0, 0, 2]);
    expect([...tree.subtreeEnd]).toEqual([4, 2, 4, 4]);
    expect([...tree.childCount]).toEqual([2, 0, 1, 0]);
    expect(tree.indexBySpanId.get('d')).toBe(3);
    expect(ancestorsOf(tree, 3)).toEqual([2, 0]);
  });

  it('shows spans whose parent never arrived as flagged extra roots', () => {
    const tree = buildTraceTree([span('root', undefined, 0, 100), span('lost-child', 'missing-parent', 20, 5)]);
    expect(tree.spans.map((s) => s.spanId)).toEqual(['root', 'lost-child']);
    expect([...tree.orphan]).toEqual([0, 1]);
    expect([...tree.depth]).toEqual([0, 0]);
  });

  it('keeps spans in a parent cycle visible instead of losing them', () => {
    const tree = buildTraceTree([span('x', 'y', 0, 10), span('y', 'x', 5, 10)]);
    expect(tree.spans).toHaveLength(2);
    expect(tree.orphan.some((o) => o === 1)).toBe(true);
  });

  it('counts errors, partial and skew-corrected spans', () => {
    const tree = buildTraceTree([
      span('r', undefined, 0, 100, { errorCode: 'UNAVAILABLE' }),
      span('p', 'r', 10, 10, { missing: ['OUT', 'REP'], events: { REQ: 10, IN: 12 }, rawEvents: { REQ: 10, IN: 12 } }),
      span('s', 'r', 30, 10, { skewCorrected: true, skewMicros: 500 }),
    ]);
    expect(tree.errorCount).toBe(1);
    expect(tree.partialCount).toBe(1);
    expect(tree.skewCorrectedCount).toBe(1);
  });

  it('tells entry spans and uninstrumented callees from partial spans', () => {
    const serverOnly = { IN: 1, OUT: 99 };
    const clientOnly = { REQ: 10, REP: 20 };
    const tree = buildTraceTree([
      // Entry: root, IN/OUT only.
      span('e', undefined, 0, 100, { missing: ['REQ', 'REP'], events: serverOnly, rawEvents: serverOnly }),
      // Uninstrumented callee: leaf, REQ/REP only.
      span('u', 'e', 10, 10, { missing: ['IN', 'OUT'], events: clientOnly, rawEvents: clientOnly }),
      // Partial: has a child, so its callee is instrumented and IN/OUT were lost.
      span('m', 'e', 30, 40, { missing: ['IN', 'OUT'], events: clientOnly, rawEvents: clientOnly }),
      span('k', 'm', 35, 5),
      // Partial: non-root missing REQ/REP.
      span('n', 'e', 50, 10, { missing: ['REQ', 'REP'], events: serverOnly, rawEvents: serverOnly }),
    ]);
    const kinds = Object.fromEntries(
      ['e', 'u', 'm', 'k', 'n'].map((id) => [id, COMPLETENESS_CODES[tree.completeness[tree.indexBySpanId.get(id)!]!]]),
    );
    expect(kinds).toEqual({ e: 'entry', u: 'uninstrumented-callee', m: 'partial', k: 'complete', n: 'partial' });
    expect([tree.entryCount, tree.uninstrumentedCount, tree.partialCount]).toEqual([1, 1, 2]);
  });

  it('keeps raw and adjusted times apart', () => {
    const adjusted = { REQ: 100, IN: 110, OUT: 150, REP: 160 };
    const raw = { REQ: 100, IN: 10, OUT: 50, REP: 160 };
    const tree = buildTraceTree([
      span('r', undefined, 100, 60, { events: adjusted, rawEvents: raw, skewCorrected: true, skewMicros: 100 }),
    ]);
    expect(tree.adjusted.traceStart).toBe(100);
    expect(tree.raw.traceStart).toBe(10);
    expect(tree.raw.traceEnd).toBe(160);
  });

  it('builds a 100,000-span generated trace into a consistent tree', () => {
    const spans = generateTrace({ spanCount: 100_000, seed: 7 });
    const tree = buildTraceTree(spans);
    expect(tree.spans).toHaveLength(100_000);
    // Every row's parent precedes it and contains it in its subtree range.
    for (let i = 1; i < tree.spans.length; i += 997) {
      const p = tree.parent[i]!;
      expect(p).toBeLessThan(i);
      expect(tree.subtreeEnd[p]!).toBeGreaterThan(i);
    }
  });
});

describe('visibleRows', () => {
  const tree = buildTraceTree([
    span('root', undefined, 0, 100),
    span('a', 'root', 10, 20),
    span('a1', 'a', 12, 5),
    span('b', 'root', 40, 40),
  ]);

  it('shows every row when nothing is collapsed', () => {
    expect([...visibleRows(tree, new Set())]).toEqual([0, 1, 2, 3]);
  });

  it('hides the whole subtree of a collapsed row but keeps the row itself', () => {
    expect([...visibleRows(tree, new Set([1]))]).toEqual([0, 1, 3]);
    expect([...visibleRows(tree, new Set([0]))]).toEqual([0]);
  });

  it('collapses on a 100,000-span trace without touching span objects', () => {
    const big = buildTraceTree(generateTrace({ spanCount: 100_000, seed: 3 }));
    const firstParent = big.childCount.findIndex((c) => c > 0);
    const rows = visibleRows(big, new Set([firstParent]));
    expect(rows.length).toBe(big.spans.length - (big.subtreeEnd[firstParent]! - firstParent - 1));
  });
});

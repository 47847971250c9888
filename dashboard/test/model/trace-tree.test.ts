import { describe, expect, it } from 'vitest';
import { generateTrace } from '../../src/fixtures/synthetic-trace.js';
import { COMPLETENESS_CODES } from '../../src/model/span-completeness.js';
import {
  ancestorsOf,
  buildTrace,
  buildTraceTree,
  eventTime,
  missingTypes,
  rowOfSpanId,
  spanIdAt,
  type TraceTree,
  treeTransferables,
  visibleRows,
} from '../../src/model/trace-tree.js';
import { entryTrace, span } from '../support/spans.js';

const ids = (tree: TraceTree) => Array.from({ length: tree.size }, (_, row) => spanIdAt(tree, row));

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
    expect(ids(tree)).toEqual(['root', 'a', 'b', 'd']);
    expect([...tree.depth]).toEqual([0, 1, 1, 2]);
    expect([...tree.parent]).toEqual([-1, 0, 0, 2]);
    expect([...tree.subtreeEnd]).toEqual([4, 2, 4, 4]);
    expect([...tree.childCount]).toEqual([2, 0, 1, 0]);
    expect(rowOfSpanId(tree, 'd')).toBe(3);
    expect(ancestorsOf(tree, 3)).toEqual([2, 0]);
  });

  it('lists no empty service for the caller of a request from an untraced client', () => {
    const tree = buildTraceTree(entryTrace());
    expect(tree.services).toEqual(['gateway', 'redis', 'quotes']);
  });

  it('shows spans whose parent never arrived as flagged extra roots', () => {
    const tree = buildTraceTree([span('root', undefined, 0, 100), span('lost-child', 'missing-parent', 20, 5)]);
    expect(ids(tree)).toEqual(['root', 'lost-child']);
    expect([...tree.orphan]).toEqual([0, 1]);
    expect([...tree.depth]).toEqual([0, 0]);
  });

  it('keeps spans in a parent cycle visible instead of losing them', () => {
    const tree = buildTraceTree([span('x', 'y', 0, 10), span('y', 'x', 5, 10)]);
    expect(tree.size).toBe(2);
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
      ['e', 'u', 'm', 'k', 'n'].map((id) => [id, COMPLETENESS_CODES[tree.completeness[rowOfSpanId(tree, id)]!]]),
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
    expect(tree.size).toBe(100_000);
    // Every row's parent precedes it and contains it in its subtree range.
    for (let i = 1; i < tree.size; i += 997) {
      const p = tree.parent[i]!;
      expect(p).toBeLessThan(i);
      expect(tree.subtreeEnd[p]!).toBeGreaterThan(i);
    }
  });
});

describe('columnar tree', () => {
  it('finds rows by span id without matching across id boundaries', () => {
    // Concatenated ids: "ab" + "c" + "bcd" = "abcbcd": "bc", "b" and "cb" occur but are no id.
    const tree = buildTraceTree([span('ab', undefined, 0, 100), span('c', 'ab', 10, 5), span('bcd', 'ab', 20, 5)]);
    expect(['ab', 'c', 'bcd'].map((id) => rowOfSpanId(tree, id))).toEqual([0, 1, 2]);
    expect(['bc', 'b', 'cb', 'abc', '', 'zz'].map((id) => rowOfSpanId(tree, id))).toEqual([-1, -1, -1, -1, -1, -1]);
  });

  it('keeps event times and missing events per row', () => {
    const tree = buildTraceTree([
      span('r', undefined, 0, 100, {
        missing: ['REQ', 'REP'],
        events: { IN: 1, OUT: 99 },
        rawEvents: { IN: 3, OUT: 90 },
      }),
    ]);
    expect(missingTypes(tree, 0)).toEqual(['REQ', 'REP']);
    expect(eventTime(tree.adjusted, 0, 'REQ')).toBeUndefined();
    expect(eventTime(tree.adjusted, 0, 'OUT')).toBe(99);
    expect(eventTime(tree.raw, 0, 'IN')).toBe(3);
  });

  it('keeps the spans in row order beside the tree', () => {
    const { tree, spans } = buildTrace([span('b', 'a', 10, 5), span('a', undefined, 0, 100)]);
    expect(spans.map((s) => s.spanId)).toEqual(ids(tree));
  });

  it('survives a postMessage-style transfer of every buffer intact', () => {
    const built = buildTraceTree(generateTrace({ spanCount: 500, seed: 12, partialRatio: 0.2, errorRatio: 0.1 }));
    const before = { critical: [...built.raw.critical], ids: ids(built), depth: [...built.depth] };
    const transfer = treeTransferables(built);
    // Every typed array is listed, so nothing is copied (and a missing one would be cloned silently).
    const typed = [built, built.adjusted, built.raw].flatMap((o) => Object.values(o)).filter(ArrayBuffer.isView);
    expect(new Set(transfer).size).toBe(typed.length);
    const moved = structuredClone(built, { transfer });
    expect(built.depth.length).toBe(0); // detached: the buffers moved
    expect([...moved.depth]).toEqual(before.depth);
    expect([...moved.raw.critical]).toEqual(before.critical);
    expect(ids(moved)).toEqual(before.ids);
    expect(moved.strings[moved.toName[0]!]).toBe(generateTrace({ spanCount: 500, seed: 12 })[0]!.to);
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
    expect(rows.length).toBe(big.size - (big.subtreeEnd[firstParent]! - firstParent - 1));
  });
});

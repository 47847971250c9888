/**
 * A trace flattened once into display order. The timeline never rebuilds row objects: rows are
 * indices into these arrays, and expand/collapse only recomputes an Int32Array of visible
 * indices (one pass, no allocation per row), which keeps 100,000-span traces responsive.
 */
import type { HopTimes, Span } from '../api/types.js';
import { COMPLETENESS_CODE, spanCompleteness } from './span-completeness.js';

/** Which timestamps to draw: as received, or after the collector's clock-skew correction. */
export type TimeMode = 'adjusted' | 'raw';

/** Start/end of every row for one time mode, microseconds since the epoch. */
export interface RowTimes {
  start: Float64Array;
  end: Float64Array;
  /** Earliest start and latest end over the trace. */
  traceStart: number;
  traceEnd: number;
}

export interface TraceTree {
  /** Spans in depth-first display order, children sorted by start time. */
  spans: readonly Span[];
  /** Tree depth of each row (0 for roots). */
  depth: Int32Array;
  /** Row index of the parent, -1 for roots. */
  parent: Int32Array;
  /** Exclusive end of each row's subtree: descendants are rows i+1 … subtreeEnd[i]-1. */
  subtreeEnd: Int32Array;
  childCount: Int32Array;
  /** 1 when the span names a parent that is not in the trace (a lost span or a cycle). */
  orphan: Uint8Array;
  /** Row index by span id. */
  indexBySpanId: ReadonlyMap<string, number>;
  adjusted: RowTimes;
  raw: RowTimes;
  /** Services in first-seen order (drives colours and legends). */
  services: readonly string[];
  /** Index into COMPLETENESS_CODES per row: complete, entry, uninstrumented callee or partial. */
  completeness: Uint8Array;
  errorCount: number;
  /** Spans with genuinely lost events (not entry spans, not uninstrumented callees). */
  partialCount: number;
  /** Root spans with IN/OUT only: requests from an uninstrumented client. */
  entryCount: number;
  /** Leaf spans with REQ/REP only: calls to services without a tracer. */
  uninstrumentedCount: number;
  skewCorrectedCount: number;
}

function spanBounds(times: HopTimes, fallbackStart: number, durationMicros: number): [number, number] {
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const t of [times.REQ, times.IN, times.OUT, times.REP]) {
    if (t === undefined) continue;
    if (t < start) start = t;
    if (t > end) end = t;
  }
  if (start === Number.POSITIVE_INFINITY) start = end = fallbackStart;
  // A span with one event has no extent of its own; the reported duration is the best guess.
  if (end - start < durationMicros && (times.REP === undefined || times.REQ === undefined))
    end = start + durationMicros;
  return [start, end];
}

function rowTimes(spans: readonly Span[], pick: (s: Span) => HopTimes): RowTimes {
  const n = spans.length;
  const start = new Float64Array(n);
  const end = new Float64Array(n);
  let traceStart = Number.POSITIVE_INFINITY;
  let traceEnd = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const span = spans[i]!;
    const [s, e] = spanBounds(pick(span), span.startMicros, span.durationMicros);
    start[i] = s;
    end[i] = e;
    if (s < traceStart) traceStart = s;
    if (e > traceEnd) traceEnd = e;
  }
  if (n === 0) traceStart = traceEnd = 0;
  return { start, end, traceStart, traceEnd };
}

/** Builds the flat tree. Spans whose parent is missing become extra roots, flagged as orphans. */
export function buildTraceTree(input: readonly Span[]): TraceTree {
  const n = input.length;
  const byId = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    // Duplicate span ids: the later version wins, like the store's upsert.
    byId.set(input[i]!.spanId, i);
  }
  const children: number[][] = new Array(n);
  const roots: number[] = [];
  const orphanIn = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (byId.get(input[i]!.spanId) !== i) continue;
    const parentId = input[i]!.parentSpanId;
    const p = parentId ? byId.get(parentId) : undefined;
    if (p === undefined || p === i) {
      roots.push(i);
      if (parentId) orphanIn[i] = 1;
    } else {
      const list = children[p];
      if (list) list.push(i);
      else children[p] = [i];
    }
  }
  const byStart = (a: number, b: number) => input[a]!.startMicros - input[b]!.startMicros;
  roots.sort(byStart);
  for (const list of children) list?.sort(byStart);

  const order: number[] = [];
  const depthList: number[] = [];
  const parentList: number[] = [];
  const visited = new Uint8Array(n);
  // Iterative DFS: real traces can be deeper than the JS call stack allows for recursion.
  const walk = (root: number) => {
    const stack: Array<[node: number, depth: number, parentRow: number]> = [[root, 0, -1]];
    while (stack.length > 0) {
      const [node, depth, parentRow] = stack.pop()!;
      if (visited[node]) continue;
      visited[node] = 1;
      const row = order.length;
      order.push(node);
      depthList.push(depth);
      parentList.push(parentRow);
      const kids = children[node];
      if (kids) for (let k = kids.length - 1; k >= 0; k--) stack.push([kids[k]!, depth + 1, row]);
    }
  };
  for (const r of roots) walk(r);
  // Parent cycles (hostile or corrupt data) leave spans unreachable from any root: show them as roots.
  for (let i = 0; i < n; i++) {
    if (!visited[i] && byId.get(input[i]!.spanId) === i) {
      orphanIn[i] = 1;
      walk(i);
    }
  }

  const m = order.length;
  const spans = order.map((i) => input[i]!);
  const depth = Int32Array.from(depthList);
  const parent = Int32Array.from(parentList);
  const orphan = new Uint8Array(m);
  const childCount = new Int32Array(m);
  const subtreeEnd = new Int32Array(m);
  const indexBySpanId = new Map<string, number>();
  for (let row = 0; row < m; row++) {
    orphan[row] = orphanIn[order[row]!]!;
    indexBySpanId.set(spans[row]!.spanId, row);
    const p = parent[row]!;
    if (p >= 0) childCount[p]!++;
  }
  // Rows are in pre-order, so a subtree ends at the next row whose depth is not greater.
  const open: number[] = [];
  for (let row = 0; row < m; row++) {
    while (open.length > 0 && depth[open[open.length - 1]!]! >= depth[row]!) subtreeEnd[open.pop()!] = row;
    open.push(row);
  }
  for (const row of open) subtreeEnd[row] = m;

  const seen = new Set<string>();
  const services: string[] = [];
  let errorCount = 0;
  const completeness = new Uint8Array(m);
  const kindCounts = [0, 0, 0, 0];
  let skewCorrectedCount = 0;
  for (let row = 0; row < m; row++) {
    const span = spans[row]!;
    for (const s of [span.from, span.to]) {
      if (!seen.has(s)) {
        seen.add(s);
        services.push(s);
      }
    }
    if (span.errorCode || span.errorDescription) errorCount++;
    const code = COMPLETENESS_CODE[spanCompleteness(span, childCount[row] === 0)];
    completeness[row] = code;
    kindCounts[code]!++;
    if (span.skewCorrected) skewCorrectedCount++;
  }

  return {
    spans,
    depth,
    parent,
    subtreeEnd,
    childCount,
    orphan,
    indexBySpanId,
    adjusted: rowTimes(spans, (s) => s.events),
    raw: rowTimes(spans, (s) => s.rawEvents),
    services,
    completeness,
    errorCount,
    entryCount: kindCounts[COMPLETENESS_CODE.entry]!,
    uninstrumentedCount: kindCounts[COMPLETENESS_CODE['uninstrumented-callee']]!,
    partialCount: kindCounts[COMPLETENESS_CODE.partial]!,
    skewCorrectedCount,
  };
}

/** True when the span carries an error. */
export function isError(span: Span): boolean {
  return Boolean(span.errorCode || span.errorDescription);
}

/**
 * Indices of the rows to show: every row except the descendants of collapsed rows. One pass over
 * the rows; collapsed subtrees are skipped whole.
 */
export function visibleRows(tree: TraceTree, collapsed: ReadonlySet<number>): Int32Array {
  const n = tree.spans.length;
  if (collapsed.size === 0) {
    const all = new Int32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    return all;
  }
  const out = new Int32Array(n);
  let count = 0;
  let i = 0;
  while (i < n) {
    out[count++] = i;
    i = collapsed.has(i) ? tree.subtreeEnd[i]! : i + 1;
  }
  return out.subarray(0, count);
}

/** Ancestors of a row, nearest first. */
export function ancestorsOf(tree: TraceTree, row: number): number[] {
  const out: number[] = [];
  for (let p = tree.parent[row]!; p >= 0; p = tree.parent[p]!) out.push(p);
  return out;
}

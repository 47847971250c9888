/**
 * A trace flattened once into display order, as columns. Everything the timeline draws per row
 * lives in typed arrays and a small table of interned strings, so the tree can be built in a Web
 * Worker and handed to the page by transferring its buffers (no per-span object crosses the
 * thread boundary, and nothing is copied). The full spans (tags, hosts, ids of absent parents)
 * stay with whoever built the tree and are fetched one at a time for the details panel.
 *
 * The timeline never rebuilds row objects: rows are indices into these arrays, and
 * expand/collapse only recomputes an Int32Array of visible indices (one pass, no allocation per
 * row), which keeps 100,000-span traces responsive.
 */
import type { EventType, HopTimes, Span } from '../api/types.js';
import { EVENT_TYPES } from '../api/types.js';
import { criticalPath } from './critical-path.js';
import { isSkewCorrected, skewShifts } from './skew-shifts.js';
import { COMPLETENESS_CODE, missingMask, spanCompleteness } from './span-completeness.js';

/** Which timestamps to draw: as received, or after the collector's clock-skew correction. */
export type TimeMode = 'adjusted' | 'raw';

/** Bit in {@link TraceTree.flags}: the span carries an error. */
export const ROW_FLAG_ERROR = 1;
/** Bit in {@link TraceTree.flags}: the collector's clock-skew correction moved the span's callee or caller events. */
export const ROW_FLAG_SKEW_CORRECTED = 2;

/** Row times for one time mode, microseconds since the epoch. */
export interface RowTimes {
  /** Start/end of each row's bar. */
  start: Float64Array;
  end: Float64Array;
  /** The four event times of row r at r*4 + (REQ 0, IN 1, OUT 2, REP 3); NaN when missing. */
  events: Float64Array;
  /** 1 for each row on the critical path of the trace's longest root, in this time mode. */
  critical: Uint8Array;
  /** Earliest start and latest end over the trace. */
  traceStart: number;
  traceEnd: number;
}

/** The flat tree; plain data (typed arrays, strings, numbers) so it survives postMessage. */
export interface TraceTree {
  /** Number of rows (spans with distinct ids). */
  size: number;
  /** Tree depth of each row (0 for roots). */
  depth: Int32Array;
  /** Row index of the parent, -1 for roots. */
  parent: Int32Array;
  /** Exclusive end of each row's subtree: descendants are rows i+1 … subtreeEnd[i]-1. */
  subtreeEnd: Int32Array;
  childCount: Int32Array;
  /** 1 when the span names a parent that is not in the trace (a lost span or a cycle). */
  orphan: Uint8Array;
  /** Index into COMPLETENESS_CODES per row: complete, entry, uninstrumented callee or partial. */
  completeness: Uint8Array;
  /** Missing event types per row as a bit mask (REQ 1, IN 2, OUT 4, REP 8). */
  missing: Uint8Array;
  /** ROW_FLAG_* bits per row. */
  flags: Uint8Array;
  durationMicros: Float64Array;
  /** What the skew correction added to the callee's (IN/OUT) times. */
  skewMicros: Float64Array;
  /** What it added to the caller's (REQ/REP) times (see skew-shifts.ts). */
  callerShiftMicros: Float64Array;
  /** Interned names and error texts; the *Name columns index into it. */
  strings: string[];
  /** Callee service and endpoint of each row (index into `strings`). */
  toName: Uint32Array;
  toEndpointName: Uint32Array;
  /** Error description (or code) of each row, index into `strings`; -1 without error. */
  errorName: Int32Array;
  /** All span ids concatenated in row order; row r is spanIds.slice(spanIdEnd[r-1] ?? 0, spanIdEnd[r]). */
  spanIds: string;
  spanIdEnd: Uint32Array;
  adjusted: RowTimes;
  raw: RowTimes;
  /** Services in first-seen order (drives colours and legends). */
  services: string[];
  errorCount: number;
  /** Spans with genuinely lost events (not entry spans, not uninstrumented callees). */
  partialCount: number;
  /** Root spans with IN/OUT only: requests from an uninstrumented client. */
  entryCount: number;
  /** Leaf spans with REQ/REP only: calls to services without a tracer. */
  uninstrumentedCount: number;
  skewCorrectedCount: number;
}

/** A tree together with the spans it was built from, in row order. */
export interface BuiltTrace {
  tree: TraceTree;
  /** spans[row] is the span shown in that row. */
  spans: Span[];
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
  const events = new Float64Array(n * 4);
  let traceStart = Number.POSITIVE_INFINITY;
  let traceEnd = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const span = spans[i]!;
    const times = pick(span);
    events[i * 4] = times.REQ ?? Number.NaN;
    events[i * 4 + 1] = times.IN ?? Number.NaN;
    events[i * 4 + 2] = times.OUT ?? Number.NaN;
    events[i * 4 + 3] = times.REP ?? Number.NaN;
    const [s, e] = spanBounds(times, span.startMicros, span.durationMicros);
    start[i] = s;
    end[i] = e;
    if (s < traceStart) traceStart = s;
    if (e > traceEnd) traceEnd = e;
  }
  if (n === 0) traceStart = traceEnd = 0;
  return { start, end, events, critical: new Uint8Array(n), traceStart, traceEnd };
}

/** Orders spans depth-first; returns input indices in row order with depth and parent row. */
function flatten(input: readonly Span[]): {
  order: number[];
  depth: Int32Array;
  parent: Int32Array;
  orphan: Uint8Array;
} {
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
  const orphan = new Uint8Array(order.length);
  for (let row = 0; row < order.length; row++) orphan[row] = orphanIn[order[row]!]!;
  return { order, depth: Int32Array.from(depthList), parent: Int32Array.from(parentList), orphan };
}

/** Builds the flat tree and the spans in row order. Spans whose parent is missing become extra roots, flagged as orphans. */
export function buildTrace(input: readonly Span[]): BuiltTrace {
  const { order, depth, parent, orphan } = flatten(input);
  const m = order.length;
  const spans = order.map((i) => input[i]!);
  const childCount = new Int32Array(m);
  const subtreeEnd = new Int32Array(m);
  for (let row = 0; row < m; row++) {
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

  const strings: string[] = [];
  const stringIndex = new Map<string, number>();
  const intern = (s: string): number => {
    let i = stringIndex.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      stringIndex.set(s, i);
    }
    return i;
  };
  const seen = new Set<string>();
  const services: string[] = [];
  const toName = new Uint32Array(m);
  const toEndpointName = new Uint32Array(m);
  const errorName = new Int32Array(m);
  const completeness = new Uint8Array(m);
  const missing = new Uint8Array(m);
  const flags = new Uint8Array(m);
  const durationMicros = new Float64Array(m);
  const skewMicros = new Float64Array(m);
  const callerShiftMicros = new Float64Array(m);
  const spanIdEnd = new Uint32Array(m);
  const ids: string[] = new Array(m);
  const kindCounts = [0, 0, 0, 0];
  let idLength = 0;
  let errorCount = 0;
  let skewCorrectedCount = 0;
  for (let row = 0; row < m; row++) {
    const span = spans[row]!;
    for (const s of [span.from, span.to]) {
      // '' is no service: the caller of a request from an untraced client or of an OTel root SERVER span.
      if (s && !seen.has(s)) {
        seen.add(s);
        services.push(s);
      }
    }
    toName[row] = intern(span.to);
    toEndpointName[row] = intern(span.toEndpoint);
    const failed = isError(span);
    errorName[row] = failed ? intern(span.errorDescription || span.errorCode || 'error') : -1;
    if (failed) errorCount++;
    const shifts = skewShifts(span);
    const corrected = isSkewCorrected(shifts);
    if (corrected) skewCorrectedCount++;
    flags[row] = (failed ? ROW_FLAG_ERROR : 0) | (corrected ? ROW_FLAG_SKEW_CORRECTED : 0);
    missing[row] = missingMask(span.missing);
    const code = COMPLETENESS_CODE[spanCompleteness(span, childCount[row] === 0)];
    completeness[row] = code;
    kindCounts[code]!++;
    durationMicros[row] = span.durationMicros;
    skewMicros[row] = shifts.calleeMicros;
    callerShiftMicros[row] = shifts.callerMicros;
    ids[row] = span.spanId;
    idLength += span.spanId.length;
    spanIdEnd[row] = idLength;
  }

  const tree: TraceTree = {
    size: m,
    depth,
    parent,
    subtreeEnd,
    childCount,
    orphan,
    completeness,
    missing,
    flags,
    durationMicros,
    skewMicros,
    callerShiftMicros,
    strings,
    toName,
    toEndpointName,
    errorName,
    spanIds: ids.join(''),
    spanIdEnd,
    adjusted: rowTimes(spans, (s) => s.events),
    raw: rowTimes(spans, (s) => s.rawEvents),
    services,
    errorCount,
    entryCount: kindCounts[COMPLETENESS_CODE.entry]!,
    uninstrumentedCount: kindCounts[COMPLETENESS_CODE['uninstrumented-callee']]!,
    partialCount: kindCounts[COMPLETENESS_CODE.partial]!,
    skewCorrectedCount,
  };
  tree.adjusted.critical = criticalPath(tree, tree.adjusted);
  tree.raw.critical = criticalPath(tree, tree.raw);
  return { tree, spans };
}

/** Builds the flat tree alone (tests, and callers that keep the spans themselves). */
export function buildTraceTree(input: readonly Span[]): TraceTree {
  return buildTrace(input).tree;
}

/** The buffers of every typed array in the tree, for postMessage's transfer list. */
export function treeTransferables(tree: TraceTree): ArrayBuffer[] {
  const arrays = [
    tree.depth,
    tree.parent,
    tree.subtreeEnd,
    tree.childCount,
    tree.orphan,
    tree.completeness,
    tree.missing,
    tree.flags,
    tree.durationMicros,
    tree.skewMicros,
    tree.callerShiftMicros,
    tree.toName,
    tree.toEndpointName,
    tree.errorName,
    tree.spanIdEnd,
    ...[tree.adjusted, tree.raw].flatMap((t) => [t.start, t.end, t.events, t.critical]),
  ];
  return arrays.map((a) => a.buffer as ArrayBuffer);
}

/** The span id of a row. */
export function spanIdAt(tree: TraceTree, row: number): string {
  return tree.spanIds.slice(row > 0 ? tree.spanIdEnd[row - 1]! : 0, tree.spanIdEnd[row]!);
}

/**
 * The row of a span id, -1 when absent. A native substring search over the concatenated ids
 * (a few milliseconds at 100,000 spans), checked against row boundaries, so no id → row map has
 * to be built on the page.
 */
export function rowOfSpanId(tree: TraceTree, spanId: string): number {
  if (spanId.length === 0) return -1;
  for (let at = tree.spanIds.indexOf(spanId); at >= 0; at = tree.spanIds.indexOf(spanId, at + 1)) {
    // First row whose id ends after `at`: binary search over the end offsets.
    let lo = 0;
    let hi = tree.size - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (tree.spanIdEnd[mid]! <= at) lo = mid + 1;
      else hi = mid;
    }
    const start = lo > 0 ? tree.spanIdEnd[lo - 1]! : 0;
    if (start === at && tree.spanIdEnd[lo]! === at + spanId.length) return lo;
  }
  return -1;
}

/** The time of one event of a row, undefined when the event is missing. */
export function eventTime(times: RowTimes, row: number, type: EventType): number | undefined {
  const t = times.events[row * 4 + EVENT_TYPES.indexOf(type)]!;
  return Number.isNaN(t) ? undefined : t;
}

/** The missing event types of a row, in hop order. */
export function missingTypes(tree: TraceTree, row: number): EventType[] {
  const mask = tree.missing[row]!;
  return EVENT_TYPES.filter((_, bit) => (mask & (1 << bit)) !== 0);
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
  const n = tree.size;
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

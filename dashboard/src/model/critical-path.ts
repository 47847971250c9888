/**
 * The critical path: the chain of spans that determined the trace's end-to-end latency. Walking
 * back from a span's end, the child that finished last before the cursor was what the span was
 * waiting for; it is on the path, and the cursor moves to that child's start (the usual
 * Jaeger/Zipkin definition). O(n log n) overall.
 */
/** The tree as rows in depth-first order: row `r`'s subtree is rows r … subtreeEnd[r] − 1. */
export interface PathTree {
  readonly size: number;
  readonly subtreeEnd: ArrayLike<number>;
}

/** Each row's start and end on one time axis. */
export interface PathTimes {
  readonly start: ArrayLike<number>;
  readonly end: ArrayLike<number>;
}

/** Returns 1 for every row on the critical path of the trace's longest root. */
export function criticalPath(tree: PathTree, times: PathTimes): Uint8Array {
  const n = tree.size;
  const onPath = new Uint8Array(n);
  if (n === 0) return onPath;
  let root = 0;
  for (let r = 0; r < n; r = tree.subtreeEnd[r]!) {
    if (times.end[r]! - times.start[r]! > times.end[root]! - times.start[root]!) root = r;
  }
  const stack = [root];
  onPath[root] = 1;
  while (stack.length > 0) {
    const row = stack.pop()!;
    const kids: number[] = [];
    for (let c = row + 1; c < tree.subtreeEnd[row]!; c = tree.subtreeEnd[c]!) kids.push(c);
    if (kids.length === 0) continue;
    kids.sort((a, b) => times.end[b]! - times.end[a]!);
    let cursor = times.end[row]!;
    for (const c of kids) {
      if (cursor <= times.start[row]!) break;
      if (times.end[c]! > cursor) continue;
      onPath[c] = 1;
      stack.push(c);
      cursor = times.start[c]!;
    }
  }
  return onPath;
}

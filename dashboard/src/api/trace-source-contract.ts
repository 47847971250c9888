/** What an open trace offers the trace page, and how its loading reports progress — whichever thread loads it. */
import type { TraceText } from '../model/text-view.js';
import type { TimeMode, TraceTree } from '../model/trace-tree.js';
import type { Span } from './types.js';

/** Where a load is: receiving the body, parsing and validating it, or building the tree. */
export type LoadPhase = 'download' | 'parse' | 'build';

/** Progress of a trace load, for the loading indicator. */
export interface LoadProgress {
  phase: LoadPhase;
  loadedBytes: number;
  /** From Content-Length; undefined when the server did not say. */
  totalBytes?: number | undefined;
  /** Known once the body is validated. */
  spanCount?: number | undefined;
}

/** An open trace: the tree to draw, and the full spans on request. */
export interface TraceSource {
  readonly tree: TraceTree;
  /** The full span shown in a row (tags, hosts, …). */
  span(row: number): Promise<Span>;
  /** The slide-9 text view, at most `maxLines` lines. */
  text(traceId: string, mode: TimeMode, maxLines: number): Promise<TraceText>;
  /** Frees the spans (ends the worker); later calls reject. Safe to call twice. */
  close(): void;
}

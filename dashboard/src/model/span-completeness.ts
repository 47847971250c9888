/**
 * Which of a span's four events are expected. Two shapes of "missing" events are normal, not
 * data loss:
 *
 *   - an **entry** span: a root span (no parent id) with IN/OUT only — its caller (a browser,
 *     curl, a load balancer) is not instrumented, so nobody sent REQ/REP;
 *   - an **uninstrumented callee**: a leaf span with REQ/REP only — the caller is traced but the
 *     service it called (Redis, a third-party API) has no tracer, so nobody sent IN/OUT.
 *
 * Everything else with missing events is **partial**: IN without OUT, REQ without REP, a span
 * with a parent id missing its REQ/REP (its caller is instrumented, so they were lost), or a
 * callee with children of its own missing IN/OUT (it is instrumented: it made traced calls).
 */
import type { EventType, Span } from '../api/types.js';

/** How complete a span is; see the module comment for the rules. */
export type Completeness = 'complete' | 'entry' | 'uninstrumented-callee' | 'partial';

/** Completeness as a small integer, for the per-row typed arrays of the trace tree. */
export const COMPLETENESS_CODES: readonly Completeness[] = ['complete', 'entry', 'uninstrumented-callee', 'partial'];
/** Inverse of COMPLETENESS_CODES. */
export const COMPLETENESS_CODE: Readonly<Record<Completeness, number>> = {
  complete: 0,
  entry: 1,
  'uninstrumented-callee': 2,
  partial: 3,
};

const BIT: Record<EventType, number> = { REQ: 1, IN: 2, OUT: 4, REP: 8 };
const CLIENT_SIDE = BIT.REQ | BIT.REP;
const SERVER_SIDE = BIT.IN | BIT.OUT;

/** Bit mask of the missing event types (REQ 1, IN 2, OUT 4, REP 8); duplicates count once. */
export function missingMask(missing: readonly EventType[]): number {
  let mask = 0;
  for (const type of missing) mask |= BIT[type];
  return mask;
}

/**
 * Classifies a span. `isLeaf` says whether the span has no children in its trace; pass true
 * when that is unknown (a lone span in the live tail), which reads REQ/REP-only as an
 * uninstrumented callee — by far the common case.
 */
export function spanCompleteness(span: Pick<Span, 'missing' | 'parentSpanId'>, isLeaf: boolean): Completeness {
  if (span.missing.length === 0) return 'complete';
  const mask = missingMask(span.missing);
  if (mask === CLIENT_SIDE && !span.parentSpanId) return 'entry';
  if (mask === SERVER_SIDE && isLeaf) return 'uninstrumented-callee';
  return 'partial';
}

/** Short label and tooltip of each non-complete kind, shared by the timeline, details and tail. */
export const COMPLETENESS_TEXT = {
  entry: {
    label: 'entry',
    title: 'Entry request: the caller (browser, curl, …) is not instrumented, so there is no REQ/REP. Normal.',
  },
  'uninstrumented-callee': {
    label: 'uninstrumented callee',
    title: 'Call to a service without a tracer: only the caller’s REQ/REP exist. Normal.',
  },
} as const;

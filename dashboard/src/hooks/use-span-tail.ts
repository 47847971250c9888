/**
 * Subscribes to the collector's live tail (server-sent events, `event: span`). Spans are
 * validated, buffered and flushed to React at most every TAIL_FLUSH_MILLIS, so a busy stream
 * costs a few renders per second, not one per span. The list is sorted by start time, newest first,
 * and bounded: the MAX_TAIL_SPANS that started last are kept. While paused the stream stays open and
 * arrivals are counted, not shown.
 */
import { useEffect, useRef, useState } from 'react';
import type { Span } from '../api/types.js';
import { parseSpan } from '../api/validate.js';

/** Newest spans kept on screen; older ones fall off (the tail is a glance, search is for history). */
export const MAX_TAIL_SPANS = 500;
/** How often buffered arrivals are handed to React; ~5 renders/s reads as live without churn. */
export const TAIL_FLUSH_MILLIS = 200;

/** Later start first. */
function byStartDescending(a: Span, b: Span): number {
  return b.startMicros - a.startMicros;
}

export type TailStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface TailState {
  spans: Span[];
  status: TailStatus;
  /** Spans that arrived while paused (not shown). */
  missedWhilePaused: number;
  /** Frames that were not valid spans. */
  malformed: number;
  /** The first malformed frame's problem, naming the field. */
  lastProblem?: string;
}

/** Something shaped like the browser's EventSource (injectable for tests). */
export type EventSourceFactory = (url: string) => EventSource;

export function useSpanTail(url: string, paused: boolean, factory?: EventSourceFactory): TailState {
  const [state, setState] = useState<TailState>({
    spans: [],
    status: 'connecting',
    missedWhilePaused: 0,
    malformed: 0,
  });
  const pausedRef = useRef(paused);
  pausedRef.current = paused;

  useEffect(() => {
    const source = factory ? factory(url) : new EventSource(url);
    let pending: Span[] = [];
    let missed = 0;
    let malformed = 0;
    let problem: string | undefined;
    let status: TailStatus = 'connecting';
    let dirty = true;
    setState({ spans: [], status, missedWhilePaused: 0, malformed: 0 });

    const onSpan = (event: MessageEvent) => {
      let span: Span;
      try {
        span = parseSpan(JSON.parse(String(event.data)), 'tail span');
      } catch (err) {
        malformed++;
        problem ??= (err as Error).message;
        dirty = true;
        return;
      }
      if (pausedRef.current) missed++;
      else pending.push(span);
      dirty = true;
    };
    source.addEventListener('span', onSpan as EventListener);
    source.addEventListener('message', onSpan as EventListener);
    source.addEventListener('open', () => {
      status = 'open';
      dirty = true;
    });
    source.addEventListener('error', () => {
      // EventSource reconnects by itself unless the server refused the stream for good.
      status = source.readyState === 2 ? 'closed' : 'reconnecting';
      dirty = true;
    });

    const timer = setInterval(() => {
      if (!dirty) return;
      dirty = false;
      const arrived = pending;
      pending = [];
      setState((prev) => {
        let spans = prev.spans;
        if (arrived.length > 0) {
          // Newest start first, as the Time column reads: spans arrive as they finish, so a parent
          // (finishing after its children) and a host's late batch would otherwise sit out of order.
          // The sort is stable, so spans that started together stay newest-arrival first. Keep the bound.
          spans = [...arrived.reverse(), ...prev.spans].sort(byStartDescending);
          if (spans.length > MAX_TAIL_SPANS) spans.length = MAX_TAIL_SPANS;
        }
        const next: TailState = { spans, status, missedWhilePaused: missed, malformed };
        if (problem) next.lastProblem = problem;
        return next;
      });
    }, TAIL_FLUSH_MILLIS);

    return () => {
      clearInterval(timer);
      source.close();
    };
  }, [url, factory]);

  return state;
}

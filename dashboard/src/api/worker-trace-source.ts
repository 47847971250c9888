/**
 * The page side of loading a trace in a Web Worker: sends the request, relays progress, and
 * turns the transferred tree into a {@link TraceSource} whose span/text calls are messages.
 */
import { DashboardError } from '../errors.js';
import type { TraceText } from '../model/text-view.js';
import type { TraceTree } from '../model/trace-tree.js';
import type { TraceRequest } from './client.js';
import type { LoadProgress, TraceSource } from './trace-source-contract.js';
import { deserializeError, type FromWorker, type ToWorker } from './trace-worker-protocol.js';
import type { Span } from './types.js';

/** The part of Worker used here, so tests can hand in an in-process fake. */
export interface TraceWorker {
  postMessage(message: ToWorker): void;
  terminate(): void;
  onmessage: ((event: MessageEvent) => void) | null;
  onerror: ((event: ErrorEvent) => void) | null;
}

/** The worker died before answering at all (script failed to load, CSP): the caller may load on the page instead. */
export class WorkerStartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerStartupError';
  }
}

function abortError(): Error {
  return new DOMException('The trace load was aborted', 'AbortError');
}

function isReply(value: unknown): value is FromWorker {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/**
 * Loads a trace in `worker`; resolves undefined on 404. Aborting terminates the worker (the
 * quickest way to stop a parse already running); so does `close()` on the result.
 */
export function openTraceInWorker(
  worker: TraceWorker,
  request: TraceRequest,
  options: { signal?: AbortSignal | undefined; onProgress?: ((progress: LoadProgress) => void) | undefined },
): Promise<TraceSource | undefined> {
  const { signal, onProgress } = options;
  return new Promise<TraceSource | undefined>((resolve, reject) => {
    if (signal?.aborted) {
      worker.terminate();
      reject(abortError());
      return;
    }
    let answered = false;
    let settled = false;
    let closed = false;
    let nextId = 1;
    const pending = new Map<number, { resolve: (value: never) => void; reject: (err: Error) => void }>();

    const close = (why: Error) => {
      if (closed) return;
      closed = true;
      worker.terminate();
      signal?.removeEventListener('abort', onAbort);
      for (const p of pending.values()) p.reject(why);
      pending.clear();
    };
    const fail = (err: Error) => {
      close(err);
      if (!settled) {
        settled = true;
        reject(err);
      }
    };
    const onAbort = () => fail(abortError());
    signal?.addEventListener('abort', onAbort, { once: true });

    const ask = <T>(message: ToWorker & { id: number }): Promise<T> =>
      new Promise<T>((res, rej) => {
        if (closed) {
          rej(new DashboardError('DSH_ERR_TRACE_WORKER', 'the trace was closed'));
          return;
        }
        pending.set(message.id, { resolve: res as (value: never) => void, reject: rej });
        worker.postMessage(message);
      });

    const sourceFor = (tree: TraceTree): TraceSource => ({
      tree,
      span: (row) => ask<Span>({ type: 'span', id: nextId++, row }),
      text: (traceId, mode, maxLines) => ask<TraceText>({ type: 'text', id: nextId++, traceId, mode, maxLines }),
      close: () => close(new DashboardError('DSH_ERR_TRACE_WORKER', 'the trace was closed')),
    });

    worker.onerror = (event) => {
      event.preventDefault?.();
      const message = event.message || 'the worker script failed';
      fail(answered ? new DashboardError('DSH_ERR_TRACE_WORKER', message) : new WorkerStartupError(message));
    };
    worker.onmessage = (event) => {
      answered = true;
      const reply: unknown = event.data;
      if (!isReply(reply)) {
        fail(new DashboardError('DSH_ERR_TRACE_WORKER', 'reply without a type'));
        return;
      }
      switch (reply.type) {
        case 'progress':
          onProgress?.(reply.progress);
          return;
        case 'loaded':
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          resolve(sourceFor(reply.tree));
          return;
        case 'not-found':
          settled = true;
          close(new DashboardError('DSH_ERR_TRACE_WORKER', 'the trace was closed'));
          resolve(undefined);
          return;
        case 'failed':
          fail(deserializeError(reply.error));
          return;
        case 'span':
        case 'text': {
          const p = pending.get(reply.id);
          pending.delete(reply.id);
          p?.resolve((reply.type === 'span' ? reply.span : reply.text) as never);
          return;
        }
        case 'reply-failed': {
          const p = pending.get(reply.id);
          pending.delete(reply.id);
          p?.reject(deserializeError(reply.error));
          return;
        }
        default:
          fail(
            new DashboardError(
              'DSH_ERR_TRACE_WORKER',
              `unknown reply type ${JSON.stringify((reply as { type: string }).type)}`,
            ),
          );
      }
    };
    worker.postMessage({ type: 'load', request });
  });
}

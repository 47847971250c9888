/**
 * The worker side of trace loading, as a plain function of its messages so tests can drive it
 * without a Worker: fetch the trace (with download progress), parse and validate it, build the
 * tree, transfer the tree's buffers to the page, and keep the spans to answer span/text requests.
 */
import { DashboardError } from '../errors.js';
import { traceToText } from '../model/text-view.js';
import { buildTrace, treeTransferables } from '../model/trace-tree.js';
import { httpError, parseJsonText, readBodyText, sendGet } from './http.js';
import type { FromWorker, ToWorker } from './trace-worker-protocol.js';
import { serializeError } from './trace-worker-protocol.js';
import type { Span } from './types.js';
import { parseTrace } from './validate.js';

/** Sends a message to the page; `transfer` lists buffers to move rather than copy. */
export type PostToPage = (message: FromWorker, transfer?: Transferable[]) => void;

const TIME_MODES = new Set(['adjusted', 'raw']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Creates the message handler; `fetchImpl` is the worker's fetch (a fake in tests). */
export function createTraceWorkerHost(
  post: PostToPage,
  fetchImpl: typeof fetch = (...args) => fetch(...args),
): (message: unknown) => Promise<void> {
  let spans: Span[] | undefined;
  let loading = false;

  async function load(message: Extract<ToWorker, { type: 'load' }>): Promise<void> {
    const { url, path, headers } = message.request;
    post({ type: 'progress', progress: { phase: 'download', loadedBytes: 0 } });
    const response = await sendGet(fetchImpl, url, path, headers, undefined);
    if (response.status === 404) {
      post({ type: 'not-found' });
      return;
    }
    if (!response.ok) throw await httpError(path, response);
    const text = await readBodyText(response, ({ loadedBytes, totalBytes }) =>
      post({ type: 'progress', progress: { phase: 'download', loadedBytes, totalBytes } }),
    );
    post({ type: 'progress', progress: { phase: 'parse', loadedBytes: text.length } });
    const parsed = parseTrace(parseJsonText(path, text));
    post({ type: 'progress', progress: { phase: 'build', loadedBytes: text.length, spanCount: parsed.length } });
    const built = buildTrace(parsed);
    spans = built.spans;
    post({ type: 'loaded', tree: built.tree }, treeTransferables(built.tree));
  }

  return async (message) => {
    if (!isObject(message) || typeof message.type !== 'string') {
      post({
        type: 'failed',
        error: serializeError(new DashboardError('DSH_ERR_TRACE_WORKER', 'message without a type')),
      });
      return;
    }
    if (message.type === 'load') {
      const request = message.request;
      if (
        loading ||
        !isObject(request) ||
        typeof request.url !== 'string' ||
        typeof request.path !== 'string' ||
        !isObject(request.headers)
      ) {
        const why = loading ? 'load sent twice' : 'load.request needs url, path and headers';
        post({ type: 'failed', error: serializeError(new DashboardError('DSH_ERR_TRACE_WORKER', why)) });
        return;
      }
      loading = true;
      try {
        await load(message as Extract<ToWorker, { type: 'load' }>);
      } catch (err) {
        post({ type: 'failed', error: serializeError(err) });
      }
      return;
    }
    const id = typeof message.id === 'number' ? message.id : -1;
    try {
      if (!spans) throw new DashboardError('DSH_ERR_TRACE_WORKER', `${message.type} before the trace loaded`);
      if (message.type === 'span') {
        const row = message.row;
        const span = typeof row === 'number' ? spans[row] : undefined;
        if (!span) throw new DashboardError('DSH_ERR_TRACE_WORKER', `span.row: no row ${String(row)}`);
        post({ type: 'span', id, span });
      } else if (message.type === 'text') {
        const { traceId, mode, maxLines } = message;
        if (typeof traceId !== 'string' || !TIME_MODES.has(mode as string) || typeof maxLines !== 'number')
          throw new DashboardError('DSH_ERR_TRACE_WORKER', 'text needs traceId, mode (adjusted|raw) and maxLines');
        post({ type: 'text', id, text: traceToText(traceId, spans, mode as 'adjusted' | 'raw', maxLines) });
      } else {
        throw new DashboardError('DSH_ERR_TRACE_WORKER', `unknown message type ${JSON.stringify(message.type)}`);
      }
    } catch (err) {
      post({ type: 'reply-failed', id, error: serializeError(err) });
    }
  };
}

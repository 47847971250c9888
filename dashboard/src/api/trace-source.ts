/**
 * Opening a trace for the trace page. A large trace costs seconds of JSON parsing, validation
 * and tree building; done on the page that freezes it, so in a browser the whole load runs in a
 * Web Worker (trace-load.worker.ts) and only the compact tree comes back, its typed arrays
 * transferred rather than copied. The spans stay in the worker; the details panel and the text
 * view ask for what they show. Where there is no Worker (jsdom tests) or no raw request to hand
 * it (in-memory test clients), the same steps run on the page.
 */
import { DashboardError } from '../errors.js';
import { traceToText } from '../model/text-view.js';
import { buildTrace } from '../model/trace-tree.js';
import type { ApiClient } from './client.js';
import type { LoadProgress, TraceSource } from './trace-source-contract.js';
import type { Span } from './types.js';
import { openTraceInWorker, type TraceWorker, WorkerStartupError } from './worker-trace-source.js';

export type { LoadPhase, LoadProgress, TraceSource } from './trace-source-contract.js';

/** Options of {@link loadTrace}. */
export interface LoadTraceOptions {
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: LoadProgress) => void) | undefined;
  /** Makes the worker; default: the bundled trace-load worker when the environment has Worker. */
  createWorker?: (() => TraceWorker | undefined) | undefined;
}

/** A source over spans already on the page (the main-thread path). */
export function localTraceSource(input: readonly Span[]): TraceSource {
  const { tree, spans } = buildTrace(input);
  let closed = false;
  const check = () => {
    if (closed) throw new DashboardError('DSH_ERR_TRACE_WORKER', 'the trace was closed');
  };
  return {
    tree,
    async span(row) {
      check();
      const span = spans[row];
      if (!span) throw new RangeError(`row ${row} is not in the trace (${spans.length} rows)`);
      return span;
    },
    async text(traceId, mode, maxLines) {
      check();
      return traceToText(traceId, spans, mode, maxLines);
    },
    close() {
      closed = true;
    },
  };
}

/** The bundled worker, or undefined where Worker does not exist or cannot start. */
function defaultWorker(): TraceWorker | undefined {
  if (typeof Worker !== 'function') return undefined;
  try {
    return new Worker(new URL('./trace-load.worker.ts', import.meta.url), {
      type: 'module',
      name: 'phosphor-trace-loader',
    });
  } catch (err) {
    console.warn('Phosphor: trace loader worker unavailable, loading on the page', err);
    return undefined;
  }
}

/**
 * Loads and opens a trace; resolves undefined when the collector does not know it (404). In a
 * worker when possible; a worker that fails to start falls back to the page.
 */
export async function loadTrace(
  api: ApiClient,
  traceId: string,
  options: LoadTraceOptions = {},
): Promise<TraceSource | undefined> {
  const { signal, onProgress } = options;
  const request = api.traceRequest?.(traceId);
  const worker = request ? (options.createWorker ?? defaultWorker)() : undefined;
  if (request && worker) {
    try {
      return await openTraceInWorker(worker, request, { signal, onProgress });
    } catch (err) {
      if (!(err instanceof WorkerStartupError)) throw err;
      console.warn('Phosphor: trace loader worker failed to start, loading on the page', err.message);
    }
  }
  onProgress?.({ phase: 'download', loadedBytes: 0 });
  const spans = await api.getTrace(traceId, signal);
  if (spans === undefined) return undefined;
  onProgress?.({ phase: 'build', loadedBytes: 0, spanCount: spans.length });
  // A macrotask boundary between parse+validate and the tree build: the page paints the
  // "building" step and handles input in between instead of freezing through both.
  await new Promise((resolve) => setTimeout(resolve, 0));
  if (signal?.aborted) throw new DOMException('The trace load was aborted', 'AbortError');
  return localTraceSource(spans);
}

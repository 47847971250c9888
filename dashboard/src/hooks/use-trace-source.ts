/**
 * Opens a trace for the trace page (in a worker where possible, see api/trace-source.ts) with
 * loading progress. The previous load is aborted and the previous trace closed when the inputs
 * change or the page unmounts, so a slow answer never overwrites a newer one and a closed
 * trace's worker does not linger.
 */
import { useEffect, useState } from 'react';
import type { ApiClient } from '../api/client.js';
import { type LoadProgress, loadTrace, type TraceSource } from '../api/trace-source.js';

export type TraceLoadState =
  | { status: 'loading'; progress: LoadProgress | undefined }
  | { status: 'error'; error: Error }
  /** `source` undefined: the collector does not know the trace. */
  | { status: 'done'; source: TraceSource | undefined };

/** Loads `traceId`; change `attempt` to retry. */
export function useTraceSource(api: ApiClient, traceId: string, attempt: number): TraceLoadState {
  const [state, setState] = useState<TraceLoadState>({ status: 'loading', progress: undefined });
  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` is a dependency on purpose: bumping it reloads.
  useEffect(() => {
    const controller = new AbortController();
    let source: TraceSource | undefined;
    setState({ status: 'loading', progress: undefined });
    loadTrace(api, traceId, {
      signal: controller.signal,
      onProgress: (progress) => {
        if (!controller.signal.aborted) setState({ status: 'loading', progress });
      },
    }).then(
      (loaded) => {
        if (controller.signal.aborted) {
          loaded?.close();
          return;
        }
        source = loaded;
        setState({ status: 'done', source: loaded });
      },
      (error: unknown) => {
        if (!controller.signal.aborted)
          setState({ status: 'error', error: error instanceof Error ? error : new Error(String(error)) });
      },
    );
    return () => {
      controller.abort();
      source?.close();
    };
  }, [api, traceId, attempt]);
  return state;
}

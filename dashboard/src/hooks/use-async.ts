/**
 * Loads data for a view with loading / error / done states. The previous request is aborted
 * when the inputs change, so a slow answer never overwrites a newer one.
 */
import { type DependencyList, useEffect, useState } from 'react';

export type AsyncState<T> =
  | { status: 'idle' }
  | { status: 'loading' }
  | { status: 'error'; error: Error }
  | { status: 'done'; value: T };

/** Runs `load` whenever `deps` change; `load` returning undefined means "nothing to load". */
export function useAsync<T>(
  load: ((signal: AbortSignal) => Promise<T>) | undefined,
  deps: DependencyList,
): AsyncState<T> {
  const [state, setState] = useState<AsyncState<T>>(load ? { status: 'loading' } : { status: 'idle' });
  useEffect(() => {
    if (!load) {
      setState({ status: 'idle' });
      return;
    }
    const controller = new AbortController();
    setState({ status: 'loading' });
    load(controller.signal).then(
      (value) => {
        if (!controller.signal.aborted) setState({ status: 'done', value });
      },
      (error: unknown) => {
        if (!controller.signal.aborted)
          setState({ status: 'error', error: error instanceof Error ? error : new Error(String(error)) });
      },
    );
    return () => controller.abort();
    // biome-ignore lint/correctness/useExhaustiveDependencies: the caller lists what `load` depends on.
  }, deps);
  return state;
}

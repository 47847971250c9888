/**
 * A TraceWorker that runs the real worker host in this process. Messages cross a structured
 * clone each way, with the host's transfer list, as they would between threads; replies arrive
 * asynchronously; after terminate() nothing more is delivered.
 */
import { createTraceWorkerHost } from '../../src/api/trace-worker-host.js';
import type { ToWorker } from '../../src/api/trace-worker-protocol.js';
import type { TraceWorker } from '../../src/api/worker-trace-source.js';

export interface InProcessWorker extends TraceWorker {
  terminated: boolean;
  /** Every message the page sent, in order. */
  sent: ToWorker[];
}

/** A worker whose fetch is `fetchImpl`. */
export function inProcessWorker(fetchImpl: typeof fetch): InProcessWorker {
  const worker: InProcessWorker = {
    terminated: false,
    sent: [],
    onmessage: null,
    onerror: null,
    postMessage(message) {
      if (worker.terminated) return;
      worker.sent.push(message);
      void host(structuredClone(message));
    },
    terminate() {
      worker.terminated = true;
    },
  };
  const host = createTraceWorkerHost((message, transfer) => {
    if (worker.terminated) return;
    const data = structuredClone(message, { transfer: transfer ?? [] });
    setTimeout(() => {
      if (!worker.terminated) worker.onmessage?.({ data } as MessageEvent);
    }, 0);
  }, fetchImpl);
  return worker;
}

/** A fetch answering every request with `status` and `body` (a string is sent as is). */
export function fixedFetch(status: number, body: unknown, seen: string[] = []): typeof fetch {
  return (async (url: string) => {
    seen.push(url);
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    return new Response(text, {
      status,
      headers: { 'content-type': 'application/json', 'content-length': String(new TextEncoder().encode(text).length) },
    });
  }) as unknown as typeof fetch;
}

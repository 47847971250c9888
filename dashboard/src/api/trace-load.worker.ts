/**
 * Web Worker entry: loads one trace off the page's main thread (see trace-worker-host.ts). The
 * page creates one worker per open trace and terminates it when the trace is closed.
 */
import { createTraceWorkerHost } from './trace-worker-host.js';

/** The bits of DedicatedWorkerGlobalScope used here (the DOM lib types `self` as a Window). */
interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent) => void) | null;
}

const scope = self as unknown as WorkerScope;
const handle = createTraceWorkerHost((message, transfer) => scope.postMessage(message, transfer ?? []));
scope.onmessage = (event) => {
  void handle(event.data);
};

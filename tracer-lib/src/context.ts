import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The trace a piece of work belongs to, carried through async calls by AsyncLocalStorage.
 * Inside a server handler `spanId` is the span of the hop being served; outgoing calls made
 * there become its children.
 */
export interface TraceContext {
  /** Correlation id: decimal 64-bit id, or 32 lowercase hex chars from a foreign traceparent. */
  traceId: string;
  /** 16 lowercase hex chars. */
  spanId: string;
  /** Sampled in at the trace root. */
  sampled: boolean;
  /** Keep this trace whatever the sampling (Hailo's persistentTrace). */
  persistent: boolean;
  /** The endpoint being served (set by the server instrumentation; `fromEndpoint` of outgoing calls). */
  endpoint?: string;
}

const storage = new AsyncLocalStorage<TraceContext>();

/** The trace context of the running code, or undefined outside any traced work. */
export function currentTrace(): TraceContext | undefined {
  return storage.getStore();
}

/** Runs `fn` with `context` as the current trace (for its synchronous part and everything it awaits). */
export function runWithTrace<T>(context: TraceContext, fn: () => T): T {
  return storage.run(context, fn);
}

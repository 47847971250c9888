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
  endpoint?: string | undefined;
  /** Other tracing systems' `tracestate` members that arrived with the request, forwarded on outgoing calls. */
  tracestate?: string | undefined;
  /**
   * When the hop this context is being served in started (its IN event's timestamp): µs since the Unix
   * epoch on the tracer's clock (`nowMicros()`). Set on the contexts the server instrumentation
   * makes, so a service timing the request itself can start from it instead of reading the clock again.
   */
  readonly startMicros?: number;
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

/**
 * How server instrumentation makes the hop's context reachable from the handler:
 * - `'asyncLocalStorage'` (default): the handler runs inside the context, so `currentTrace()` works
 *   anywhere below it and outgoing calls (`tracedFetch`, `grpcClientInterceptor`) become child spans.
 * - `'request'`: the context is only attached to the request / call object (`traceOf(request)`);
 *   AsyncLocalStorage is never entered. On Node 20, entering an AsyncLocalStorage once turns on async
 *   hooks for every promise and async resource in the process for good (≈ 25 µs per request in the ID
 *   service, docs/benchmarks.md), so a service that makes no traced outgoing calls — a leaf like the
 *   ID generator — should not pay for it. Outgoing calls made there start new traces instead of child spans.
 */
export type ContextMode = 'asyncLocalStorage' | 'request';

/** The context modes, for validation. */
export const CONTEXT_MODES: readonly ContextMode[] = ['asyncLocalStorage', 'request'];

/**
 * Where the server instrumentation attaches the hop's context on a fastify request or a grpc-js call.
 * A symbol, so it never clashes with a service's own decorations; `Symbol.for` so a second copy of
 * this module (two installed versions) still finds it.
 */
export const TRACE_KEY: unique symbol = Symbol.for('@phosphor/tracer.trace');

/** An object the server instrumentation may have attached a context to. */
interface TraceCarrier {
  [TRACE_KEY]?: TraceContext | null;
}

/** Attaches `context` to a request or call (used by the server instrumentation). */
export function attachTrace(carrier: object, context: TraceContext): void {
  (carrier as TraceCarrier)[TRACE_KEY] = context;
}

/**
 * The trace context of the hop a fastify request or grpc-js call is serving, attached by
 * `phosphorFastify` (in both context modes) or `traceGrpcHandlers`; undefined when the request is
 * not traced (disabled tracer, no instrumentation) or `carrier` is not an object. Use it in
 * handlers and error handlers of services registered with `context: 'request'`, where
 * `currentTrace()` is undefined.
 */
export function traceOf(carrier: unknown): TraceContext | undefined {
  if (typeof carrier !== 'object' || carrier === null) return undefined;
  return (carrier as TraceCarrier)[TRACE_KEY] ?? undefined;
}

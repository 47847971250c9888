/**
 * @phosphor/tracer — records the four events of every RPC hop (REQ, IN, OUT, REP) into a bounded
 * buffer and sends them to the Phosphor collector over UDP in the background. Never blocks, never
 * throws into the service; drops and counts instead.
 */

export { AttributePolicy, AttributeSet } from './attributes/attribute-set.js';
export * from './attributes/semantic-conventions.js';
export { nowMicros } from './clock.js';
export { type ContextMode, currentTrace, runWithTrace, type TraceContext, traceOf } from './context.js';
export { TracerError, type TracerErrorCode, TracerErrorCodes, type TracerProblem } from './errors.js';
export {
  type IdSource,
  isDecimalTraceId,
  LocalIdSource,
  newSpanId,
  PooledIdSource,
  type PooledIdSourceOptions,
  type PooledIdSourceStats,
} from './ids.js';
export { type PhosphorFastifyOptions, phosphorFastify } from './instrument/fastify.js';
export {
  type GrpcClientInterceptorOptions,
  grpcClientInterceptor,
  grpcServerInterceptor,
  type TraceGrpcHandlersOptions,
  traceGrpcHandlers,
} from './instrument/grpc.js';
export { type TracedFetchOptions, type TracedRequestInit, tracedFetch } from './instrument/http-client.js';
export {
  DEFAULT_COLLECTOR,
  DEFAULT_FLUSH_INTERVAL_MILLIS,
  DEFAULT_MAX_BUFFERED_EVENTS,
  DEFAULT_SAMPLE_RATE,
  type TracerOptions,
} from './options.js';
export * from './propagation/index.js';
export { createTracer, type DroppedEvents, type Tracer, type TracerStats } from './tracer.js';
export * from './wire/index.js';

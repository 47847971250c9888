/**
 * @phosphor/tracer — records the four events of every RPC hop (REQ, IN, OUT, REP) into a bounded
 * buffer and sends them to the Phosphor collector over UDP in the background. Never blocks, never
 * throws into the service; drops and counts instead.
 *
 * The core loads no framework: integrations are subpaths — `@phosphor/tracer/http` (node:http, Express,
 * Koa), `/fetch`, `/fastify`, `/grpc` — whose frameworks are optional peer dependencies.
 */

// The wire-format pieces a tracer user meets: event shapes for emit(), flags and the limits options are checked against.
export {
  type Batch,
  type BatchHeader,
  DEFAULT_MAX_DATAGRAM_BYTES,
  type DropCounters,
  EVENT_TYPES,
  EventFlags,
  type EventType,
  MAX_ID_LENGTH,
  MAX_NAME_LENGTH,
  MAX_TAGS,
  MAX_TEXT_LENGTH,
  MAX_UDP_PAYLOAD_BYTES,
  type TraceEvent,
  validateEvent,
} from '@phosphor/wire';
export { AttributePolicy, AttributeSet } from './attributes/attribute-set.js';
export * from './attributes/semantic-conventions.js';
export { nowMicros } from './clock.js';
export { type ContextMode, currentTrace, runWithTrace, type TraceContext, traceOf } from './context.js';
export {
  ENV_WARNING_CODE,
  TRACER_ENV_VARIABLES,
  type TracerEnvVariable,
  tracerOptionsFromEnv,
  UNKNOWN_SERVICE,
} from './env-options.js';
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
export {
  DEFAULT_COLLECTOR,
  DEFAULT_FLUSH_INTERVAL_MILLIS,
  DEFAULT_LOOPBACK_DATAGRAM_BYTES,
  DEFAULT_MAX_BUFFERED_EVENTS,
  DEFAULT_SAMPLE_RATE,
  MIN_DATAGRAM_BYTES,
  type TracerOptions,
} from './options.js';
export * from './propagation/index.js';
export { createTracer, type DroppedEvents, type Tracer, type TracerStats } from './tracer.js';

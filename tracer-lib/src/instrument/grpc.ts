import {
  status as GrpcStatus,
  InterceptingCall,
  type Interceptor,
  Metadata,
  ServerInterceptingCall,
  type ServerInterceptor,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { GrpcAttributes } from '../attributes/endpoint-attributes.js';
import { attachTrace, CONTEXT_MODES, type ContextMode, runWithTrace } from '../context.js';
import { TracerError } from '../errors.js';
import { extractTrace, GrpcMetadataKeys, injectTrace } from '../propagation/carrier.js';
import type { Tracer } from '../tracer.js';
import { beginClientHop, beginServerHop, endClientHop, endServerHop, type HopError, type ServerHop } from './hop.js';

/** A metadata entry; several values are joined with ',' (tracestate lists combine, a repeated traceparent turns invalid). */
function metadataValue(metadata: Metadata, key: string): string | undefined {
  const values = metadata.get(key);
  if (values.length <= 1) {
    const value = values[0];
    return typeof value === 'string' ? value : undefined;
  }
  return values.filter((v): v is string => typeof v === 'string').join(',');
}

function statusError(code: number, details: string | undefined): HopError | undefined {
  if (code === GrpcStatus.OK) return undefined;
  return { code: GrpcStatus[code] ?? `GRPC_${code}`, description: details || undefined };
}

/**
 * gRPC server interceptor (@grpc/grpc-js >= 1.10: `new Server({ interceptors: [grpcServerInterceptor(tracer)] })`).
 * Records IN when the request metadata arrives and OUT when the status is sent (error code =
 * the status name when it is not OK), endpoint = the method path (`/package.Service/Method`).
 * Continues the trace from metadata `correlation_id` / `traceparent` and runs the handler inside
 * the trace context.
 */
export function grpcServerInterceptor(tracer: Tracer): ServerInterceptor {
  const attributeSets = new GrpcAttributes(tracer.attributes);
  return (methodDescriptor, call) => {
    if (!tracer.enabled) return new ServerInterceptingCall(call);
    let hop: ServerHop | undefined;
    return new ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            const incoming = extractTrace((key) => metadataValue(metadata, key), GrpcMetadataKeys);
            const path = methodDescriptor.path;
            hop = beginServerHop(tracer, incoming, path, attributeSets.attributes(path));
            nextMetadata(metadata);
          },
          // The handler is invoked from these callbacks: running them in the context makes it current there.
          onReceiveMessage(message, nextMessage) {
            if (hop) runWithTrace(hop.context, () => nextMessage(message));
            else nextMessage(message);
          },
          onReceiveHalfClose(nextHalfClose) {
            if (hop) runWithTrace(hop.context, nextHalfClose);
            else nextHalfClose();
          },
        });
      },
      sendMetadata(metadata, nextMetadata) {
        if (hop) metadata.set(GrpcMetadataKeys.correlationId, hop.context.traceId);
        nextMetadata(metadata);
      },
      sendStatus(status, nextStatus) {
        if (hop) {
          const finished = hop;
          hop = undefined;
          const code = status.code ?? GrpcStatus.UNKNOWN;
          endServerHop(tracer, finished, statusError(code, status.details), code);
        }
        nextStatus(status);
      },
    });
  };
}

/** Options of {@link grpcClientInterceptor}. */
export interface GrpcClientInterceptorOptions {
  /** The called service's name (`to` on REQ/REP). */
  to: string;
  /** The server's `host:port`, for the `server.address` / `server.port` attributes. Default: not recorded. */
  address?: string;
}

/**
 * gRPC client interceptor (`new Client(address, credentials, { interceptors: [grpcClientInterceptor(tracer, { to })] })`).
 * Records REQ when the call starts and REP when its status arrives (error code = the status name
 * when it is not OK), endpoint = the method path, and sends `correlation_id`, `traceparent` and
 * `tracestate` metadata.
 */
export function grpcClientInterceptor(tracer: Tracer, options: GrpcClientInterceptorOptions): Interceptor {
  if (typeof options?.to !== 'string' || options.to.length === 0) {
    throw new TracerError('TRC_ERR_OPTIONS_INVALID', 'grpcClientInterceptor: to: must be the called service name');
  }
  if (options.address !== undefined && (typeof options.address !== 'string' || options.address.length === 0)) {
    throw new TracerError('TRC_ERR_OPTIONS_INVALID', 'grpcClientInterceptor: address: must be "host:port"');
  }
  const to = options.to;
  const attributeSets = new GrpcAttributes(tracer.attributes, options.address);
  return (callOptions, nextCall) => {
    if (!tracer.enabled) return new InterceptingCall(nextCall(callOptions));
    return new InterceptingCall(nextCall(callOptions), {
      start(metadata, _listener, next) {
        const path = callOptions.method_definition.path;
        const hop = beginClientHop(tracer, to, path, attributeSets.attributes(path));
        injectTrace((key, value) => metadata.set(key, value), GrpcMetadataKeys, hop.outgoing);
        let ended = false;
        next(metadata, {
          onReceiveStatus(status, nextStatus) {
            if (!ended) {
              ended = true;
              endClientHop(tracer, hop, statusError(status.code, status.details), status.code);
            }
            nextStatus(status);
          },
        });
      },
    });
  };
}

/** Options of {@link traceGrpcHandlers}. */
export interface TraceGrpcHandlersOptions {
  /**
   * How handlers reach the hop's context (see {@link ContextMode}). Default `'asyncLocalStorage'`:
   * the handler runs inside the context (`currentTrace()`, child spans for outgoing calls).
   * `'request'`: only `traceOf(call)`, no AsyncLocalStorage.
   */
  context?: ContextMode;
}

/** What a unary or client-streaming handler's callback receives as an error (grpc-js accepts any of these shapes). */
interface HandlerError {
  code?: unknown;
  details?: unknown;
  message?: unknown;
  metadata?: unknown;
}

/** The status grpc-js replies with for a handler's error (UNKNOWN unless it carries a non-OK numeric code). */
function handlerStatus(error: HandlerError): number {
  const code = typeof error.code === 'number' ? error.code : GrpcStatus.UNKNOWN;
  return code === GrpcStatus.OK ? GrpcStatus.UNKNOWN : code;
}

function handlerError(error: HandlerError, code: number): HopError {
  const details =
    typeof error.details === 'string' ? error.details : typeof error.message === 'string' ? error.message : undefined;
  return statusError(code, details) ?? { code: 'UNKNOWN' };
}

type Callback = (error: HandlerError | null | undefined, value?: unknown, trailer?: Metadata, flags?: number) => void;
type CallbackHandler = (
  call: { metadata: Metadata; sendMetadata(metadata: Metadata): void },
  callback: Callback,
) => void;

/**
 * Traces a gRPC service by wrapping its handlers instead of intercepting the server's calls: returns
 * `implementation` with each unary and client-streaming handler wrapped, for
 * `server.addService(service, traceGrpcHandlers(tracer, service, implementation, { context }))`.
 * Per call it records IN when the handler is invoked and OUT when the handler calls back (error code
 * = the status name when it is not OK; a handler that throws gets UNKNOWN, as grpc-js replies), with
 * endpoint = the method path; it continues the trace from metadata `correlation_id` / `traceparent`,
 * echoes `correlation_id` in the trailing metadata, as Flaki does (unless the handler's trailer already
 * has one; the handler's trailer or error metadata object gets the entry) and attaches the hop's
 * context to the call (`traceOf(call)`). Trailing rather than initial metadata: it costs one more
 * entry in trailers that are sent anyway, where initial metadata would cost an extra header block.
 *
 * Cheaper than {@link grpcServerInterceptor} (no intercepting-call and listener objects per call) and,
 * with `context: 'request'`, free of AsyncLocalStorage. What it does not see: calls rejected before a
 * handler runs (unknown method, undecodable message) and the time grpc-js takes to serialise and send
 * the reply. Server-streaming and bidi methods are refused (use the interceptor for those).
 * Throws `TRC_ERR_OPTIONS_INVALID` naming the bad argument. With a disabled tracer it returns
 * `implementation` unchanged.
 */
export function traceGrpcHandlers<T extends UntypedServiceImplementation>(
  tracer: Tracer,
  service: ServiceDefinition,
  implementation: T,
  options: TraceGrpcHandlersOptions = {},
): T {
  if (typeof tracer?.emit !== 'function') {
    throw new TracerError('TRC_ERR_OPTIONS_INVALID', 'traceGrpcHandlers: tracer: must be a Tracer from createTracer()');
  }
  if (typeof service !== 'object' || service === null) {
    throw new TracerError('TRC_ERR_OPTIONS_INVALID', 'traceGrpcHandlers: service: must be a grpc-js ServiceDefinition');
  }
  if (typeof implementation !== 'object' || implementation === null) {
    throw new TracerError(
      'TRC_ERR_OPTIONS_INVALID',
      'traceGrpcHandlers: implementation: must be an object of handlers',
    );
  }
  const mode = options?.context ?? 'asyncLocalStorage';
  if (!CONTEXT_MODES.includes(mode)) {
    throw new TracerError(
      'TRC_ERR_OPTIONS_INVALID',
      `traceGrpcHandlers: context: must be one of ${CONTEXT_MODES.map((m) => `'${m}'`).join(', ')} (got ${JSON.stringify(mode)})`,
    );
  }
  if (!tracer.enabled) return implementation;
  const useAsyncLocalStorage = mode === 'asyncLocalStorage';
  const attributeSets = new GrpcAttributes(tracer.attributes);
  const wrapped: UntypedServiceImplementation = { ...implementation };
  for (const [name, definition] of Object.entries(service)) {
    const handler = implementation[name] ?? implementation[definition.originalName ?? ''];
    if (handler === undefined) continue;
    if (typeof handler !== 'function') {
      throw new TracerError('TRC_ERR_OPTIONS_INVALID', `traceGrpcHandlers: implementation.${name}: must be a function`);
    }
    if (definition.responseStream) {
      throw new TracerError(
        'TRC_ERR_OPTIONS_INVALID',
        `traceGrpcHandlers: ${name}: server-streaming and bidi methods are not supported; use grpcServerInterceptor`,
      );
    }
    const target = handler as unknown as CallbackHandler;
    const path = definition.path;
    const attributes = attributeSets.attributes(path);
    const traced: CallbackHandler = (call, callback) => {
      const requestMetadata = call.metadata;
      const incoming = extractTrace((key) => metadataValue(requestMetadata, key), GrpcMetadataKeys);
      const hop = beginServerHop(tracer, incoming, path, attributes);
      attachTrace(call, hop.context);
      let ended = false;
      const respond: Callback = (error, value, trailer, flags) => {
        if (ended) {
          callback(error, value, trailer, flags);
          return;
        }
        ended = true;
        if (error) {
          const code = handlerStatus(error);
          endServerHop(tracer, hop, handlerError(error, code), code);
        } else {
          endServerHop(tracer, hop, undefined, GrpcStatus.OK);
        }
        // grpc-js sends `trailer` if given, else the error's own metadata: echo the id in whichever goes out.
        const outgoing = trailer ?? (error?.metadata instanceof Metadata ? error.metadata : undefined);
        if (outgoing === undefined) {
          const created = new Metadata();
          created.set(GrpcMetadataKeys.correlationId, hop.context.traceId);
          callback(error, value, created, flags);
          return;
        }
        if (outgoing.get(GrpcMetadataKeys.correlationId).length === 0) {
          outgoing.set(GrpcMetadataKeys.correlationId, hop.context.traceId);
        }
        callback(error, value, trailer ?? outgoing, flags);
      };
      try {
        if (useAsyncLocalStorage) runWithTrace(hop.context, () => target(call, respond));
        else target(call, respond);
      } catch (error) {
        if (!ended) {
          ended = true;
          endServerHop(tracer, hop, { code: 'UNKNOWN', description: errorMessage(error) }, GrpcStatus.UNKNOWN);
        }
        throw error;
      }
    };
    wrapped[name] = traced as unknown as UntypedServiceImplementation[string];
  }
  return wrapped as T;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

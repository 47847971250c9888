import {
  status as GrpcStatus,
  InterceptingCall,
  type Interceptor,
  type Metadata,
  ServerInterceptingCall,
  type ServerInterceptor,
} from '@grpc/grpc-js';
import { runWithTrace } from '../context.js';
import { TracerError } from '../errors.js';
import { extractTrace, GrpcMetadataKeys, injectTrace } from '../propagation/carrier.js';
import type { Tracer } from '../tracer.js';
import { beginClientHop, beginServerHop, endClientHop, endServerHop, type HopError, type ServerHop } from './hop.js';

function metadataValue(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === 'string' ? value : undefined;
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
  return (methodDescriptor, call) => {
    if (!tracer.enabled) return new ServerInterceptingCall(call);
    let hop: ServerHop | undefined;
    return new ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            const incoming = extractTrace((key) => metadataValue(metadata, key), GrpcMetadataKeys);
            hop = beginServerHop(tracer, incoming, methodDescriptor.path);
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
          endServerHop(tracer, finished, statusError(status.code ?? GrpcStatus.UNKNOWN, status.details));
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
  const to = options.to;
  return (callOptions, nextCall) => {
    if (!tracer.enabled) return new InterceptingCall(nextCall(callOptions));
    return new InterceptingCall(nextCall(callOptions), {
      start(metadata, _listener, next) {
        const hop = beginClientHop(tracer, to, callOptions.method_definition.path);
        injectTrace((key, value) => metadata.set(key, value), GrpcMetadataKeys, hop.outgoing);
        let ended = false;
        next(metadata, {
          onReceiveStatus(status, nextStatus) {
            if (!ended) {
              ended = true;
              endClientHop(tracer, hop, statusError(status.code, status.details));
            }
            nextStatus(status);
          },
        });
      },
    });
  };
}

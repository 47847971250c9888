/**
 * The gRPC API (@grpc/grpc-js): same operations and validation as HTTP. Bad input → INVALID_ARGUMENT
 * with a message naming the field. The correlation id comes from request metadata `correlation_id`
 * (or the trace, or a fresh id) and goes back in trailing metadata.
 */
import {
  status as GrpcStatus,
  Metadata,
  Server,
  type ServerUnaryCall,
  type sendUnaryData,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { traceOf } from '@phosphor/tracer';
import { CORRELATION_METADATA_KEY, resolveCorrelationId } from '../correlation.js';
import { isIdServiceError } from '../errors.js';
import type { IdOperations } from '../id-operations.js';
import { elapsedMillis, requestStartMicros } from '../request-clock.js';
import type { RequestObserver } from '../request-observer.js';
import {
  type DecodedIdMessage,
  type DecodeRequestMessage,
  IdGeneratorService,
  type IdReplyMessage,
  type IdsReplyMessage,
  type NextIdsRequestMessage,
  SERVICE_NAME,
} from './proto.js';

/** Options of {@link buildGrpcServer}. */
export interface GrpcApiOptions {
  operations: IdOperations;
  observer: RequestObserver;
  freshCorrelationId: () => string;
  /**
   * Wraps the service implementation before it is added (tracing: `traceGrpcHandlers`). Handlers read
   * the hop with `traceOf(call)`.
   */
  traceHandlers?: (implementation: UntypedServiceImplementation) => UntypedServiceImplementation;
}

type Handler<Req, Res> = (request: Req) => Promise<{ reply: Res; ids: number }>;

/** Builds the gRPC server with the service added (not bound). */
export function buildGrpcServer(options: GrpcApiOptions): Server {
  const { operations, observer } = options;
  const server = new Server();

  function unary<Req, Res>(method: string, handler: Handler<Req, Res>) {
    const endpoint = `/${SERVICE_NAME}/${method}`;
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      const trace = traceOf(call);
      const started = requestStartMicros(trace);
      const trailer = new Metadata();
      let correlationId: string;
      const finish = (error: Error | undefined, reply: Res | undefined, ids: number) => {
        trailer.set(CORRELATION_METADATA_KEY, correlationId);
        const code = error === undefined ? 'ok' : isIdServiceError(error) ? error.code : 'IDG_ERR_SERVER_INTERNAL';
        observer.finished('grpc', endpoint, correlationId, elapsedMillis(started), code, ids, error);
        if (error === undefined) {
          callback(null, reply, trailer);
        } else {
          callback({
            code: isIdServiceError(error) ? error.grpcStatus : GrpcStatus.INTERNAL,
            details: isIdServiceError(error) ? error.message : `IDG_ERR_SERVER_INTERNAL: ${error.message}`,
            metadata: trailer,
          });
        }
      };
      try {
        correlationId = resolveCorrelationId(
          trace,
          () => call.metadata.get(CORRELATION_METADATA_KEY)[0],
          `metadata ${CORRELATION_METADATA_KEY}`,
          options.freshCorrelationId,
        );
      } catch (error) {
        correlationId = options.freshCorrelationId();
        finish(error as Error, undefined, 0);
        return;
      }
      handler(call.request).then(
        ({ reply, ids }) => finish(undefined, reply, ids),
        (error: Error) => finish(error, undefined, 0),
      );
    };
  }

  const implementation: UntypedServiceImplementation = {
    NextID: unary<unknown, IdReplyMessage>('NextID', async () => ({
      reply: { id: await operations.nextId() },
      ids: 1,
    })),
    NextValidID: unary<unknown, IdReplyMessage>('NextValidID', async () => ({
      reply: { id: await operations.nextValidId() },
      ids: 1,
    })),
    NextIDs: unary<NextIdsRequestMessage, IdsReplyMessage>('NextIDs', async (request) => {
      const ids = await operations.nextIds(request.count, request.valid === true, 'count');
      return { reply: { ids }, ids: ids.length };
    }),
    Decode: unary<DecodeRequestMessage, DecodedIdMessage>('Decode', async (request) => ({
      reply: operations.decode(request.id, 'id'),
      ids: 0,
    })),
  };
  server.addService(
    IdGeneratorService.service,
    options.traceHandlers ? options.traceHandlers(implementation) : implementation,
  );
  return server;
}

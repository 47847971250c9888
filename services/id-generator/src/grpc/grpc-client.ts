/**
 * A promise-based client for the ID service's gRPC API, for other services, tests and the tracer's id
 * pool. Ids come back as decimal strings.
 */
import { credentials, type Interceptor, Metadata, type ServiceError } from '@grpc/grpc-js';
import { CORRELATION_METADATA_KEY } from '../correlation.js';
import { type DecodedIdMessage, IdGeneratorService, type IdReplyMessage, type IdsReplyMessage } from './proto.js';

/** Per-call options. */
export interface IdCallOptions {
  /** Sent as metadata `correlation_id`. */
  correlationId?: string;
  /** Call deadline; default {@link DEFAULT_CALL_TIMEOUT_MILLIS}. */
  timeoutMillis?: number;
}

/** Default per-call deadline: ids are cheap, so a slow answer means trouble. */
export const DEFAULT_CALL_TIMEOUT_MILLIS = 5_000;

/** A call's result plus the correlation id from the trailing metadata. */
export interface IdCallResult<T> {
  value: T;
  correlationId: string | undefined;
}

/** The typed client. */
export interface IdGeneratorClient {
  nextId(options?: IdCallOptions): Promise<IdCallResult<string>>;
  nextValidId(options?: IdCallOptions): Promise<IdCallResult<string>>;
  nextIds(count: number, options?: IdCallOptions & { valid?: boolean }): Promise<IdCallResult<string[]>>;
  decode(id: string, options?: IdCallOptions): Promise<IdCallResult<DecodedIdMessage>>;
  close(): void;
}

/** Options of {@link createIdGeneratorClient}. */
export interface IdGeneratorClientOptions {
  /** Client interceptors (tracing: grpcClientInterceptor(tracer, { to: 'id-generator' })). */
  interceptors?: Interceptor[];
}

type RawCall = (
  request: unknown,
  metadata: Metadata,
  options: { deadline: Date },
  callback: (error: ServiceError | null, reply: unknown) => void,
) => { on(event: 'status', listener: (status: { metadata: Metadata }) => void): void };

/** Creates a client for `target` ("host:port"), insecure channel. */
export function createIdGeneratorClient(target: string, options: IdGeneratorClientOptions = {}): IdGeneratorClient {
  const client = new IdGeneratorService(target, credentials.createInsecure(), {
    interceptors: options.interceptors ?? [],
  }) as unknown as Record<string, RawCall> & { close(): void };

  function call<T>(method: string, request: unknown, callOptions: IdCallOptions | undefined): Promise<IdCallResult<T>> {
    const metadata = new Metadata();
    if (callOptions?.correlationId) metadata.set(CORRELATION_METADATA_KEY, callOptions.correlationId);
    const deadline = new Date(Date.now() + (callOptions?.timeoutMillis ?? DEFAULT_CALL_TIMEOUT_MILLIS));
    return new Promise((resolve, reject) => {
      let reply: unknown;
      let error: ServiceError | null = null;
      let settled = 0;
      let trailerCorrelation: string | undefined;
      const done = () => {
        if (++settled < 2) return;
        if (error) reject(error);
        else resolve({ value: reply as T, correlationId: trailerCorrelation });
      };
      const pending = client[method]!.call(client, request, metadata, { deadline }, (err, value) => {
        error = err;
        reply = value;
        if (err) trailerCorrelation = err.metadata?.get(CORRELATION_METADATA_KEY)[0]?.toString();
        done();
      });
      pending.on('status', (status) => {
        trailerCorrelation = status.metadata.get(CORRELATION_METADATA_KEY)[0]?.toString() ?? trailerCorrelation;
        done();
      });
    });
  }

  return {
    nextId: async (o) => {
      const r = await call<IdReplyMessage>('NextID', {}, o);
      return { value: r.value.id, correlationId: r.correlationId };
    },
    nextValidId: async (o) => {
      const r = await call<IdReplyMessage>('NextValidID', {}, o);
      return { value: r.value.id, correlationId: r.correlationId };
    },
    nextIds: async (count, o) => {
      const r = await call<IdsReplyMessage>('NextIDs', { count, valid: o?.valid ?? false }, o);
      return { value: r.value.ids, correlationId: r.correlationId };
    },
    decode: (id, o) => call<DecodedIdMessage>('Decode', { id }, o),
    close: () => client.close(),
  };
}

/**
 * The quote service's .proto, loaded once for server and client, plus a promise client.
 */
import { fileURLToPath } from 'node:url';
import {
  credentials,
  type GrpcObject,
  type Interceptor,
  loadPackageDefinition,
  type ServiceClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/** Absolute path of `proto/quote.proto`. */
export const QUOTE_PROTO_PATH = fileURLToPath(new URL('../proto/quote.proto', import.meta.url));

const root = loadPackageDefinition(
  loadSync(QUOTE_PROTO_PATH, { keepCase: false, longs: Number, enums: String, defaults: true }),
) as unknown as { phosphor: { demo: { v1: GrpcObject & { QuoteService: ServiceClientConstructor } } } };

/** Generated client constructor (`.service` is the server definition). */
export const QuoteServiceDefinition = root.phosphor.demo.v1.QuoteService;

/** A quote (proto-loader camelCase). */
export interface QuoteMessage {
  quoteId: string;
  symbol: string;
  quantity: number;
  unitPrice: number;
  totalPrice: number;
  lineIds: string[];
}

/** Promise client of the quote service. */
export interface QuoteClient {
  getQuote(symbol: string, quantity: number, timeoutMillis?: number): Promise<QuoteMessage>;
  close(): void;
}

/** Default gRPC deadline for quote calls: above the slow path's delay, below a user's patience. */
export const DEFAULT_QUOTE_TIMEOUT_MILLIS = 5_000;

/** Creates a quote client for `target` with the given interceptors (tracing). */
export function createQuoteClient(target: string, interceptors: Interceptor[] = []): QuoteClient {
  const client = new QuoteServiceDefinition(target, credentials.createInsecure(), { interceptors }) as unknown as {
    getQuote(
      request: unknown,
      options: { deadline: Date },
      callback: (error: ServiceError | null, reply: QuoteMessage) => void,
    ): void;
    close(): void;
  };
  return {
    getQuote: (symbol, quantity, timeoutMillis = DEFAULT_QUOTE_TIMEOUT_MILLIS) =>
      new Promise((resolve, reject) =>
        client.getQuote({ symbol, quantity }, { deadline: new Date(Date.now() + timeoutMillis) }, (error, reply) =>
          error ? reject(error) : resolve(reply),
        ),
      ),
    close: () => client.close(),
  };
}

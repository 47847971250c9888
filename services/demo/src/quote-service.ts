/**
 * The demo quote service: HTTP (`GET /quotes/:symbol`) and gRPC (`GetQuote`). Each quote takes a quote
 * id from the ID generator over gRPC and line-item ids over HTTP (in parallel, so traces show siblings),
 * has an occasional injected failure and an occasional slow path.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { createIdGeneratorClient, type IdGeneratorClient } from '@phosphor/id-generator';
import type { Tracer } from '@phosphor/tracer';
import { tracedFetch } from '@phosphor/tracer/fetch';
import { grpcClientInterceptor, grpcServerInterceptor } from '@phosphor/tracer/grpc';
import type { FastifyInstance } from 'fastify';
import { checkQuantity, checkSymbol, DemoError } from './errors.js';
import { createTracedHttpApp, SYMBOL_QUOTE_ROUTE_SCHEMA } from './http-app.js';
import { checkResponse } from './http-errors.js';
import { type QuoteMessage, QuoteServiceDefinition } from './quote-proto.js';

/** Line items per quote are capped so a big quantity does not turn into a big id batch. */
const MAX_LINE_IDS = 5;

/** Options of {@link buildQuoteService}. */
export interface QuoteServiceOptions {
  tracer: Tracer;
  /** The ID generator's HTTP base URL and gRPC target. */
  idGenerator: { httpUrl: string; grpcTarget: string };
  /** Share of requests failing with DEMO_ERR_QUOTE_UNAVAILABLE (0..1). Symbol "FAIL" always fails. */
  errorRate: number;
  /** Share of requests taking the slow path (0..1). Symbol "SLOW" always does. */
  slowRate: number;
  slowDelayMillis: number;
  /** Random source (tests make it deterministic). */
  random?: () => number;
}

/** A built (not listening) quote service. */
export interface QuoteService {
  http: FastifyInstance;
  grpc: Server;
  /** Quotes one symbol (what both transports call). */
  quote(symbol: string, quantity: number): Promise<QuoteMessage>;
  /** Listens; port 0 = any. Returns the HTTP URL and gRPC target. */
  start(host: string, httpPort: number, grpcPort: number): Promise<{ httpUrl: string; grpcTarget: string }>;
  close(): Promise<void>;
}

function basePrice(symbol: string): number {
  let hash = 0;
  for (const char of symbol) hash = (hash * 31 + char.charCodeAt(0)) % 10_007;
  return 10 + (hash % 990);
}

/** Builds the quote service. */
export async function buildQuoteService(options: QuoteServiceOptions): Promise<QuoteService> {
  const random = options.random ?? Math.random;
  const { tracer } = options;
  const idClient: IdGeneratorClient = createIdGeneratorClient(options.idGenerator.grpcTarget, {
    interceptors: [grpcClientInterceptor(tracer, { to: 'id-generator' })],
  });
  const idFetch = tracedFetch(tracer, { to: 'id-generator' });
  const idsUrl = new URL('/ids', options.idGenerator.httpUrl).toString();

  async function quote(symbol: string, quantity: number): Promise<QuoteMessage> {
    const [quoteId, lineIds] = await Promise.all([
      idClient.nextId().then((r) => r.value),
      idFetch(idsUrl, {
        method: 'POST',
        endpoint: 'POST /ids',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ count: Math.min(quantity, MAX_LINE_IDS) }),
      })
        .then((response) => checkResponse(response, 'id-generator POST /ids'))
        .then(async (response) => ((await response.json()) as { ids: string[] }).ids),
    ]);
    if (symbol === 'FAIL' || random() < options.errorRate) {
      throw new DemoError('DEMO_ERR_QUOTE_UNAVAILABLE', `no price source for ${symbol} right now (injected failure)`);
    }
    if (symbol === 'SLOW' || random() < options.slowRate) await sleep(options.slowDelayMillis);
    const unitPrice = Math.round(basePrice(symbol) * (0.98 + random() * 0.04) * 100) / 100;
    return { quoteId, symbol, quantity, unitPrice, totalPrice: Math.round(unitPrice * quantity * 100) / 100, lineIds };
  }

  const http = await createTracedHttpApp(tracer);
  http.get<{ Params: { symbol: string }; Querystring: { quantity?: number } }>(
    '/quotes/:symbol',
    {
      schema: SYMBOL_QUOTE_ROUTE_SCHEMA,
    },
    async (request) => quote(request.params.symbol, request.query.quantity ?? 1),
  );

  const grpc = new Server({ interceptors: [grpcServerInterceptor(tracer)] });
  grpc.addService(QuoteServiceDefinition.service, {
    GetQuote: (
      call: ServerUnaryCall<{ symbol: string; quantity: number }, QuoteMessage>,
      callback: sendUnaryData<QuoteMessage>,
    ) => {
      let symbol: string;
      let quantity: number;
      try {
        symbol = checkSymbol(call.request.symbol, 'symbol');
        quantity = checkQuantity(call.request.quantity === 0 ? 1 : call.request.quantity, 'quantity');
      } catch (error) {
        callback({ code: (error as DemoError).grpcStatus, details: (error as Error).message });
        return;
      }
      quote(symbol, quantity).then(
        (reply) => callback(null, reply),
        (error: Error) =>
          callback({
            code:
              error instanceof DemoError ? error.grpcStatus : new DemoError('DEMO_ERR_UPSTREAM_FAILED', '').grpcStatus,
            details: error instanceof DemoError ? error.message : `DEMO_ERR_UPSTREAM_FAILED: ${error.message}`,
          }),
      );
    },
  });

  let grpcBound = false;
  let closed = false;
  return {
    http,
    grpc,
    quote,
    async start(host, httpPort, grpcPort) {
      await http.listen({ host, port: httpPort });
      const boundHttp = (http.server.address() as { port: number }).port;
      const boundGrpc = await new Promise<number>((resolve, reject) =>
        grpc.bindAsync(`${host}:${grpcPort}`, ServerCredentials.createInsecure(), (error, port) =>
          error ? reject(error) : resolve(port),
        ),
      );
      grpcBound = true;
      return { httpUrl: `http://${host}:${boundHttp}`, grpcTarget: `${host}:${boundGrpc}` };
    },
    async close() {
      if (closed) return;
      closed = true;
      await http.close();
      if (grpcBound) await new Promise<void>((resolve) => grpc.tryShutdown(() => resolve()));
      idClient.close();
    },
  };
}

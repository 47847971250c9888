/**
 * The demo gateway (HTTP): the entry point traffic hits. `GET /quote/:symbol` calls the quote service
 * over HTTP; `GET /basket?symbols=A,B,C` fans out over gRPC, one GetQuote per symbol in parallel;
 * `POST /orders` quotes over gRPC, then takes an order id from the ID generator over HTTP.
 */
import type { Tracer } from '@phosphor/tracer';
import { tracedFetch } from '@phosphor/tracer/fetch';
import { grpcClientInterceptor } from '@phosphor/tracer/grpc';
import type { FastifyInstance } from 'fastify';
import { checkSymbol, DemoError, MAX_QUANTITY, SYMBOL_PATTERN } from './errors.js';
import { createTracedHttpApp, SYMBOL_QUOTE_ROUTE_SCHEMA } from './http-app.js';
import { checkResponse } from './http-errors.js';
import { createQuoteClient, type QuoteMessage } from './quote-proto.js';

/** Fan-out bound: a basket of more symbols is rejected, so one request cannot flood the quote service. */
export const MAX_BASKET_SYMBOLS = 10;

/** Options of {@link buildGatewayService}. */
export interface GatewayServiceOptions {
  tracer: Tracer;
  /** Quote service HTTP base URL and gRPC target. */
  quote: { httpUrl: string; grpcTarget: string };
  /** ID generator HTTP base URL (order ids). */
  idGeneratorHttpUrl: string;
  /** Rates service (OpenTelemetry-instrumented) HTTP base URL; without it `GET /convert/:symbol` answers 404. */
  ratesHttpUrl?: string;
}

/** A built (not listening) gateway. */
export interface GatewayService {
  http: FastifyInstance;
  start(host: string, port: number): Promise<{ httpUrl: string }>;
  close(): Promise<void>;
}

/** Builds the gateway. */
export async function buildGatewayService(options: GatewayServiceOptions): Promise<GatewayService> {
  const { tracer } = options;
  const quoteFetch = tracedFetch(tracer, { to: 'quote' });
  const idFetch = tracedFetch(tracer, { to: 'id-generator' });
  const ratesFetch = tracedFetch(tracer, { to: 'rates' });
  const quoteClient = createQuoteClient(options.quote.grpcTarget, [grpcClientInterceptor(tracer, { to: 'quote' })]);

  const http = await createTracedHttpApp(tracer);

  http.get<{ Params: { symbol: string }; Querystring: { quantity?: number } }>(
    '/quote/:symbol',
    {
      schema: SYMBOL_QUOTE_ROUTE_SCHEMA,
    },
    async (request) => {
      const url = new URL(`/quotes/${request.params.symbol}`, options.quote.httpUrl);
      if (request.query.quantity) url.searchParams.set('quantity', String(request.query.quantity));
      const response = await checkResponse(
        await quoteFetch(url, { endpoint: 'GET /quotes/:symbol' }),
        'quote GET /quotes',
      );
      return (await response.json()) as QuoteMessage;
    },
  );

  const ratesHttpUrl = options.ratesHttpUrl;
  if (ratesHttpUrl) {
    // Phosphor caller → OpenTelemetry callee (which calls the Phosphor-traced quote service back).
    http.get<{ Params: { symbol: string }; Querystring: { currency?: string } }>(
      '/convert/:symbol',
      {
        schema: {
          params: SYMBOL_QUOTE_ROUTE_SCHEMA.params,
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: { currency: { type: 'string', pattern: '^[A-Z]{3}$' } },
          },
        },
      },
      async (request) => {
        const url = new URL(`/rates/${request.params.symbol}`, ratesHttpUrl);
        if (request.query.currency) url.searchParams.set('currency', request.query.currency);
        const response = await checkResponse(
          await ratesFetch(url, { endpoint: 'GET /rates/:symbol' }),
          'rates GET /rates',
        );
        return (await response.json()) as Record<string, unknown>;
      },
    );
  }

  http.get<{ Querystring: { symbols: string } }>(
    '/basket',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['symbols'],
          properties: { symbols: { type: 'string', minLength: 1, maxLength: 6 * MAX_BASKET_SYMBOLS } },
        },
      },
    },
    async (request) => {
      const symbols = request.query.symbols.split(',').map((s, i) => checkSymbol(s, `query.symbols[${i}]`));
      if (symbols.length > MAX_BASKET_SYMBOLS) {
        throw new DemoError('DEMO_ERR_INPUT_INVALID', `query.symbols must list at most ${MAX_BASKET_SYMBOLS} symbols`);
      }
      const settled = await Promise.allSettled(symbols.map((symbol) => quoteClient.getQuote(symbol, 1)));
      const quotes = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      const failures = settled.flatMap((s, i) =>
        s.status === 'rejected' ? [{ symbol: symbols[i], error: (s.reason as Error).message }] : [],
      );
      if (quotes.length === 0) {
        throw new DemoError(
          'DEMO_ERR_UPSTREAM_FAILED',
          `every quote failed: ${failures.map((f) => f.error).join('; ')}`,
        );
      }
      return { quotes, failures, total: Math.round(quotes.reduce((sum, q) => sum + q.totalPrice, 0) * 100) / 100 };
    },
  );

  http.post<{ Body: { symbol: string; quantity: number } }>(
    '/orders',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['symbol', 'quantity'],
          properties: {
            symbol: { type: 'string', pattern: SYMBOL_PATTERN },
            quantity: { type: 'integer', minimum: 1, maximum: MAX_QUANTITY },
          },
        },
      },
    },
    async (request) => {
      let quote: QuoteMessage;
      try {
        quote = await quoteClient.getQuote(request.body.symbol, request.body.quantity);
      } catch (error) {
        throw new DemoError('DEMO_ERR_UPSTREAM_FAILED', `quote GetQuote: ${(error as Error).message}`);
      }
      const response = await checkResponse(
        await idFetch(new URL('/nextvalidid', options.idGeneratorHttpUrl), {
          method: 'POST',
          endpoint: 'POST /nextvalidid',
        }),
        'id-generator POST /nextvalidid',
      );
      const { id } = (await response.json()) as { id: string };
      return { orderId: id, quote };
    },
  );

  let closed = false;
  return {
    http,
    async start(host, port) {
      await http.listen({ host, port });
      return { httpUrl: `http://${host}:${(http.server.address() as { port: number }).port}` };
    },
    async close() {
      if (closed) return;
      closed = true;
      await http.close();
      quoteClient.close();
    },
  };
}

/**
 * The demo's OpenTelemetry neighbour: a `rates` service instrumented with the OpenTelemetry JS SDK
 * (not Phosphor) that converts quotes into other currencies. `GET /rates/:symbol?currency=EUR`
 * records an OTel SERVER span, calls the Phosphor-traced quote service over HTTP under an OTel
 * CLIENT span (W3C traceparent), and exports its spans over OTLP/HTTP (protobuf) to the collector.
 * The gateway (Phosphor) calls it, so one trace crosses Phosphor → OTel → Phosphor.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SYMBOL_PATTERN } from './errors.js';

/** Made-up conversion rates from the quote service's currency. */
const RATES: Readonly<Record<string, number>> = { USD: 1, EUR: 0.92, GBP: 0.79, JPY: 151.4, CHF: 0.88 };
/** Short export delay so the demo's spans show within a second (the SDK's default is 5 s). */
const EXPORT_DELAY_MILLIS = 500;
const SYMBOL = new RegExp(SYMBOL_PATTERN);
const ROUTE = '/rates/:symbol';

/** Options of {@link buildRatesService}. */
export interface RatesServiceOptions {
  /** Quote service HTTP base URL. */
  quoteHttpUrl: string;
  /** OTLP/HTTP traces URL of the collector (…/v1/traces); undefined = not traced. */
  otlpTracesUrl: string | undefined;
}

/** A built rates service. */
export interface RatesService {
  start(host: string, port: number): Promise<{ httpUrl: string }>;
  /** Exports the spans still buffered (tests). */
  flush(): Promise<void>;
  /** Stops serving, then flushes and stops the OTel SDK. Safe to call twice. */
  close(): Promise<void>;
}

const propagator = new W3CTraceContextPropagator();

/** Builds the OTel-instrumented rates service (not listening until `start`). */
export function buildRatesService(options: RatesServiceOptions): RatesService {
  const provider = options.otlpTracesUrl
    ? new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': 'rates' }),
        spanProcessors: [
          new BatchSpanProcessor(new OTLPTraceExporter({ url: options.otlpTracesUrl }), {
            scheduledDelayMillis: EXPORT_DELAY_MILLIS,
          }),
        ],
      })
    : undefined;
  const tracer: Tracer = (provider ?? trace).getTracer('phosphor-demo-rates');
  const server: Server = createServer((req, res) => {
    handle(tracer, options.quoteHttpUrl, req, res).catch((error: Error) => {
      if (!res.headersSent) reply(res, 500, { error: error.message });
    });
  });
  let closed = false;
  return {
    async start(host, port) {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      return { httpUrl: `http://${host}:${(server.address() as AddressInfo).port}` };
    },
    async flush() {
      // Like the Phosphor tracer, tracing never fails the service: an unreachable collector loses spans only.
      await provider?.forceFlush().catch(() => undefined);
    },
    async close() {
      if (closed) return;
      closed = true;
      if (server.listening) await new Promise((resolve) => server.close(resolve));
      await provider?.shutdown().catch(() => undefined);
    },
  };
}

async function handle(tracer: Tracer, quoteHttpUrl: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://rates');
  const symbol = url.pathname.startsWith('/rates/') ? url.pathname.slice('/rates/'.length) : undefined;
  const remote = propagator.extract(ROOT_CONTEXT, req.headers, {
    get: (carrier, key) => {
      const value = carrier[key];
      return Array.isArray(value) ? value[0] : value;
    },
    keys: (carrier) => Object.keys(carrier),
  });
  const route = symbol === undefined ? '<unmatched>' : ROUTE;
  const span = tracer.startSpan(
    `${req.method} ${route}`,
    {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': req.method ?? 'GET', 'http.route': route, 'url.scheme': 'http' },
    },
    remote,
  );
  const status = await serve(tracer, trace.setSpan(remote, span), quoteHttpUrl, req, res, symbol, url);
  span.setAttribute('http.response.status_code', status);
  if (status >= 500) {
    span.setAttribute('error.type', String(status));
    span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
  }
  span.end();
}

/** Answers the request; returns the HTTP status sent. */
async function serve(
  tracer: Tracer,
  ctx: Context,
  quoteHttpUrl: string,
  req: IncomingMessage,
  res: ServerResponse,
  symbol: string | undefined,
  url: URL,
): Promise<number> {
  if (req.method !== 'GET' || symbol === undefined)
    return reply(res, 404, { error: `no route ${req.method} ${url.pathname}` });
  const currency = (url.searchParams.get('currency') ?? 'EUR').toUpperCase();
  const rate = RATES[currency];
  if (!SYMBOL.test(symbol) || rate === undefined) {
    return reply(res, 400, {
      error: `symbol must be 1-5 upper-case letters and currency one of ${Object.keys(RATES).join(', ')}`,
    });
  }
  const quoteUrl = new URL(`/quotes/${symbol}`, quoteHttpUrl);
  const call: Span = tracer.startSpan(
    'GET',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': 'GET',
        'peer.service': 'quote',
        'server.address': quoteUrl.hostname,
        'server.port': Number(quoteUrl.port),
        'url.full': quoteUrl.href,
      },
    },
    ctx,
  );
  const headers: Record<string, string> = {};
  propagator.inject(trace.setSpan(ctx, call), headers, {
    set: (carrier, key, value) => {
      carrier[key] = value;
    },
  });
  let response: Response;
  try {
    response = await fetch(quoteUrl, { headers });
  } catch (error) {
    call.setAttribute('error.type', (error as Error).name);
    call.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    call.end();
    return reply(res, 502, { error: `quote GET /quotes: ${(error as Error).message}` });
  }
  call.setAttribute('http.response.status_code', response.status);
  if (response.status >= 500) call.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${response.status}` });
  call.end();
  if (!response.ok) return reply(res, 502, { error: `quote GET /quotes: HTTP ${response.status}` });
  const quote = (await response.json()) as { totalPrice: number };
  return reply(res, 200, { symbol, currency, rate, price: Math.round(quote.totalPrice * rate * 100) / 100 });
}

function reply(res: ServerResponse, status: number, body: unknown): number {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  return status;
}

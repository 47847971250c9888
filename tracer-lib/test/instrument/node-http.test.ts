import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tracedHttpRequest, tracedRequestListener, traceHttpServer } from '../../src/http.js';
import { currentTrace } from '../../src/index.js';
import { eventOf, TracedServices } from '../support/traced-receiver.js';

let services: TracedServices;
const servers: Server[] = [];

beforeEach(async () => {
  services = await TracedServices.start();
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  await services.close();
});

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    res.setEncoding('utf8').on('data', (chunk: string) => {
      body += chunk;
    });
    res.on('end', () => resolve(body)).on('error', reject);
  });
}

/** quote: a plain node:http server (traceHttpServer); gateway: a wrapped listener calling quote with tracedHttpRequest. */
async function startPair(): Promise<{ gatewayUrl: string }> {
  const quote = createServer((req, res) => {
    res.statusCode = req.url === '/boom' ? 503 : 200;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ trace: currentTrace() }));
  });
  const quoteUrl = await listen(traceHttpServer(services.tracer('quote'), quote));

  const gatewayTracer = services.tracer('gateway');
  const callQuote = tracedHttpRequest(gatewayTracer, { to: 'quote' });
  const gateway = createServer(
    tracedRequestListener(
      gatewayTracer,
      (req, res) => {
        const path = req.url === '/boom' ? '/boom' : '/price/abc';
        const out = callQuote(`${quoteUrl}${path}`, { endpoint: `GET ${path}` }, async (reply) => {
          const body = await readBody(reply);
          res.statusCode = reply.statusCode ?? 500;
          res.end(JSON.stringify({ gateway: currentTrace(), quote: JSON.parse(body).trace }));
        });
        out.end();
      },
      { endpoint: (req) => `${req.method} ${req.url === '/boom' ? '/boom' : '/quote'}` },
    ),
  );
  return { gatewayUrl: await listen(gateway) };
}

describe('@phosphor/tracer/http (node:http server and client)', () => {
  it('records the four events of a hop with shared ids, child parentage and the context in handlers', async () => {
    const { gatewayUrl } = await startPair();
    const res = await fetch(`${gatewayUrl}/quote`);
    const body = (await res.json()) as { gateway: { traceId: string; spanId: string }; quote: { traceId: string } };
    expect(res.status).toBe(200);
    expect(res.headers.get('x-correlation-id')).toBe(body.gateway.traceId);
    const events = await services.events(6);
    expect(events).toHaveLength(6);
    const req = eventOf(events, 'REQ', 'gateway');
    const rep = eventOf(events, 'REP', 'gateway');
    const inQuote = eventOf(events, 'IN', 'quote');
    const outQuote = eventOf(events, 'OUT', 'quote');
    expect(new Set(events.map((e) => e.traceId))).toEqual(new Set([body.gateway.traceId]));
    expect(body.quote.traceId).toBe(body.gateway.traceId);
    expect(req.spanId).toBe(inQuote.spanId);
    expect(rep.spanId).toBe(outQuote.spanId);
    expect(req.parentSpanId).toBe(body.gateway.spanId);
    expect(req.toEndpoint).toBe('GET /price/abc');
    expect(req.fromEndpoint).toBe('GET /quote');
    expect(inQuote.toEndpoint).toBe('GET /price/abc');
    expect(eventOf(events, 'IN', 'gateway').toEndpoint).toBe('GET /quote');
    expect(rep.errorCode).toBeUndefined();
  });

  it('marks status >= 500 as an error on OUT and REP', async () => {
    const { gatewayUrl } = await startPair();
    const res = await fetch(`${gatewayUrl}/boom`);
    expect(res.status).toBe(503);
    const events = await services.events(6);
    expect(eventOf(events, 'OUT', 'quote').errorCode).toBe('HTTP_503');
    expect(eventOf(events, 'REP', 'gateway').errorCode).toBe('HTTP_503');
    expect(eventOf(events, 'OUT', 'gateway').errorCode).toBe('HTTP_503');
  });

  it('continues a trace from an incoming X-Correlation-ID', async () => {
    const { gatewayUrl } = await startPair();
    const res = await fetch(`${gatewayUrl}/quote`, { headers: { 'x-correlation-id': '397237206544449536' } });
    expect(res.headers.get('x-correlation-id')).toBe('397237206544449536');
    const events = await services.events(6);
    expect(new Set(events.map((e) => e.traceId))).toEqual(new Set(['397237206544449536']));
  });

  it('records REP with the error code when the connection is refused, and the caller still sees the error', async () => {
    const tracer = services.tracer('gateway');
    const call = tracedHttpRequest(tracer, { to: 'nobody' });
    const closed = await listen(createServer());
    await new Promise((resolve) => servers.pop()?.close(resolve));
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => {
      call(`${closed}/x`).on('error', resolve).end();
    });
    expect(error.code).toBe('ECONNREFUSED');
    const events = await services.events(2);
    expect(eventOf(events, 'REP', 'gateway').errorCode).toBe('ECONNREFUSED');
  });

  it('passes through untouched with a disabled tracer, and refuses bad arguments with TRC_ERR_OPTIONS_INVALID', () => {
    const listener = () => {};
    const disabled = services.tracer('off', {});
    expect(() => tracedHttpRequest(disabled, { to: '' })).toThrow(/TRC_ERR_OPTIONS_INVALID/);
    expect(() => traceHttpServer(disabled, createServer())).toThrow(/no request listener/);
    expect(() => tracedRequestListener({} as never, listener)).toThrow(/TRC_ERR_OPTIONS_INVALID/);
    expect(typeof tracedHttpRequest(disabled, { to: 'x', request: httpRequest })).toBe('function');
  });
});

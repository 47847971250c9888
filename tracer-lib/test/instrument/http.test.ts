import { type AddressInfo, createServer } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { phosphorFastify } from '../../src/fastify.js';
import { tracedFetch } from '../../src/fetch.js';
import { createTracer, currentTrace } from '../../src/index.js';
import { eventOf, TracedServices } from '../support/traced-receiver.js';

let services: TracedServices;
const apps: FastifyInstance[] = [];

beforeEach(async () => {
  services = await TracedServices.start();
});

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  await services.close();
});

/** quote: the callee. gateway: a traced fastify app calling quote with tracedFetch. */
async function startPair(): Promise<{ gatewayUrl: string; quoteUrl: string }> {
  const quote = Fastify();
  await quote.register(phosphorFastify, { tracer: services.tracer('quote') });
  quote.get('/price/:sku', async (request) => ({
    sku: (request.params as { sku: string }).sku,
    trace: currentTrace(),
  }));
  quote.get('/boom', async () => {
    throw Object.assign(new Error('Missing config at xxx'), { code: 'E_CONFIG' });
  });
  const quoteUrl = await quote.listen({ port: 0, host: '127.0.0.1' });
  apps.push(quote);

  const gatewayTracer = services.tracer('gateway');
  const callQuote = tracedFetch(gatewayTracer, { to: 'quote' });
  const gateway = Fastify();
  await gateway.register(phosphorFastify, { tracer: gatewayTracer });
  gateway.get('/quote/:sku', async (request, reply) => {
    const sku = (request.params as { sku: string }).sku;
    const path = sku === 'boom' ? '/boom' : `/price/${sku}`;
    const response = await callQuote(`${quoteUrl}${path}`, {
      endpoint: sku === 'boom' ? 'GET /boom' : 'GET /price/:sku',
    });
    reply.code(response.status);
    return response.json();
  });
  const gatewayUrl = await gateway.listen({ port: 0, host: '127.0.0.1' });
  apps.push(gateway);
  return { gatewayUrl, quoteUrl };
}

describe('fastify plugin + tracedFetch', () => {
  it('records the four events of each hop with shared ids and the right parentage', async () => {
    const { gatewayUrl } = await startPair();
    const response = await fetch(`${gatewayUrl}/quote/abc`);
    const body = (await response.json()) as { sku: string; trace: { traceId: string; spanId: string } };
    const events = await services.events(6);
    expect(events).toHaveLength(6);

    const traceId = response.headers.get('x-correlation-id');
    expect(traceId).toMatch(/^[1-9][0-9]*$/);
    expect(new Set(events.map((e) => e.traceId))).toEqual(new Set([traceId]));

    const rootIn = eventOf(events, 'IN', 'gateway');
    const rootOut = eventOf(events, 'OUT', 'gateway');
    const req = eventOf(events, 'REQ', 'gateway');
    const calleeIn = eventOf(events, 'IN', 'quote');
    const calleeOut = eventOf(events, 'OUT', 'quote');
    const rep = eventOf(events, 'REP', 'gateway');

    expect(rootIn).toMatchObject({ toEndpoint: 'GET /quote/:sku', hostname: 'gateway-host', flags: 1 });
    expect(rootIn.parentSpanId).toBeUndefined();
    expect(rootOut.spanId).toBe(rootIn.spanId);
    // The hop gateway → quote: one span id on all four events, child of the gateway's root span.
    for (const e of [req, calleeIn, calleeOut, rep]) {
      expect(e.spanId).toBe(req.spanId);
      expect(e.parentSpanId).toBe(rootIn.spanId);
    }
    expect(req.spanId).not.toBe(rootIn.spanId);
    expect(req).toMatchObject({
      from: 'gateway',
      fromEndpoint: 'GET /quote/:sku',
      to: 'quote',
      toEndpoint: 'GET /price/:sku',
    });
    expect(calleeIn).toMatchObject({ to: 'quote', toEndpoint: 'GET /price/:sku', hostname: 'quote-host' });
    // The handler ran inside the hop's context.
    expect(body.trace).toMatchObject({ traceId, spanId: req.spanId, endpoint: 'GET /price/:sku' });
    // Durations nest: REP's round trip contains OUT's handler time, the root contains both.
    expect(rep.durationMicros).toBeGreaterThanOrEqual(calleeOut.durationMicros ?? Number.NaN);
    expect(rootOut.durationMicros).toBeGreaterThanOrEqual(rep.durationMicros ?? Number.NaN);
    expect(req.timestampMicros).toBeLessThanOrEqual(rep.timestampMicros);
    for (const e of [rootOut, calleeOut, rep]) expect(e.errorCode).toBeUndefined();
  });

  it('puts error codes on OUT and REP when the callee fails with a 500', async () => {
    const { gatewayUrl } = await startPair();
    const response = await fetch(`${gatewayUrl}/quote/boom`);
    expect(response.status).toBe(500);
    const events = await services.events(6);
    expect(eventOf(events, 'OUT', 'quote')).toMatchObject({
      errorCode: 'E_CONFIG',
      errorDescription: 'Missing config at xxx',
    });
    expect(eventOf(events, 'REP', 'gateway')).toMatchObject({ errorCode: 'HTTP_500' });
    expect(eventOf(events, 'OUT', 'gateway')).toMatchObject({ errorCode: 'HTTP_500' });
  });

  it('records REP with the network error code when the callee is unreachable, and rethrows', async () => {
    const tracer = services.tracer('gateway');
    const call = tracedFetch(tracer, { to: 'quote' });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    await expect(call(`http://127.0.0.1:${port}/price/x`)).rejects.toThrow();
    const events = await services.events(2);
    expect(eventOf(events, 'REP', 'gateway')).toMatchObject({ errorCode: 'ECONNREFUSED', toEndpoint: 'GET /price/x' });
  });

  it('continues an incoming traceparent and honours its sampled flag', async () => {
    const tracer = services.tracer('quote');
    const app = Fastify();
    apps.push(app);
    await app.register(phosphorFastify, { tracer });
    app.get('/x', async () => currentTrace());
    const unsampled = await app.inject({
      url: '/x',
      headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00' },
    });
    expect(unsampled.json()).toMatchObject({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      sampled: false,
    });
    expect(unsampled.headers['x-correlation-id']).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    await tracer.flush();
    expect(tracer.stats().droppedEvents.sampledOut).toBe(2);

    const persistent = await app.inject({
      url: '/x',
      headers: {
        traceparent: '00-0000000000000000000000000000002a-00f067aa0ba902b7-00',
        tracestate: 'phosphor=p:1111111111111111;k:1',
      },
    });
    expect(persistent.json()).toMatchObject({ traceId: '42', persistent: true });
    const events = await services.events(2);
    expect(events.map((e) => [e.type, e.flags, e.parentSpanId])).toEqual([
      ['IN', 2, '1111111111111111'],
      ['OUT', 2, '1111111111111111'],
    ]);
  });

  it('rejects a missing tracer or callee name with TRC_ERR_OPTIONS_INVALID', async () => {
    const app = Fastify();
    apps.push(app);
    await expect(app.register(phosphorFastify, {} as never).ready()).rejects.toThrow(
      'TRC_ERR_OPTIONS_INVALID: invalid tracer option: phosphorFastify: tracer:',
    );
    expect(() => tracedFetch(services.tracer('gateway'), { to: '' })).toThrow('TRC_ERR_OPTIONS_INVALID');
  });

  it('passes requests through untouched with a disabled tracer', async () => {
    const tracer = createTracer({ service: 'quote', enabled: false });
    const app = Fastify();
    apps.push(app);
    await app.register(phosphorFastify, { tracer });
    app.get('/x', async () => ({ trace: currentTrace() ?? null }));
    const response = await app.inject({ url: '/x', headers: { 'x-correlation-id': '42' } });
    expect(response.json()).toEqual({ trace: null });
    expect(response.headers['x-correlation-id']).toBeUndefined();
    expect(tracer.stats().recordedEvents).toBe(0);
  });

  it('starts a new trace when neither header is present, and uses a bare X-Correlation-ID', async () => {
    const tracer = services.tracer('quote');
    const app = Fastify();
    apps.push(app);
    await app.register(phosphorFastify, { tracer });
    app.get('/x', async () => currentTrace());
    const fresh = await app.inject({ url: '/x' });
    const flaki = await app.inject({ url: '/x', headers: { 'x-correlation-id': '397237206544449536' } });
    expect(fresh.json().traceId).toMatch(/^[1-9][0-9]*$/);
    expect(flaki.json()).toMatchObject({ traceId: '397237206544449536', sampled: true });
    expect(flaki.headers['x-correlation-id']).toBe('397237206544449536');
    const notFound = await app.inject({ url: '/nowhere' });
    expect(notFound.statusCode).toBe(404);
    const events = await services.events(6);
    expect(events.filter((e) => e.type === 'IN').map((e) => e.toEndpoint)).toEqual([
      'GET /x',
      'GET /x',
      'GET <unmatched>',
    ]);
  });
});

import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { phosphorFastify } from '../../src/fastify.js';
import { currentTrace, type TraceContext, traceOf } from '../../src/index.js';
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

interface Seen {
  fromRequest: TraceContext | null;
  fromStorage: TraceContext | null;
}

/** A quote service traced in `context` mode; its handlers report what they see of the trace. */
async function quoteApp(
  context: 'request' | 'asyncLocalStorage',
  instrument: 'hooks' | 'routes' = 'hooks',
): Promise<{ app: FastifyInstance; errors: Seen[] }> {
  const app = Fastify();
  apps.push(app);
  await app.register(phosphorFastify, { tracer: services.tracer('quote'), context, instrument });
  const errors: Seen[] = [];
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    errors.push({ fromRequest: traceOf(request) ?? null, fromStorage: currentTrace() ?? null });
    const status = error.statusCode ?? 500;
    return reply.status(status).send({ message: error.message });
  });
  app.get('/price/:sku', async (request): Promise<Seen> => {
    // After an await, as real handlers do: the request-scoped context does not depend on the call stack.
    await new Promise((resolve) => setImmediate(resolve));
    return { fromRequest: traceOf(request) ?? null, fromStorage: currentTrace() ?? null };
  });
  app.get('/boom', async () => {
    throw Object.assign(new Error('Missing config at xxx'), { code: 'E_CONFIG' });
  });
  app.get('/bad', async () => {
    throw Object.assign(new Error('sku must be short'), { statusCode: 400, code: 'E_INPUT' });
  });
  return { app, errors };
}

describe.each([['hooks'], ['routes']] as const)(
  "phosphorFastify with context: 'request', instrument: '%s'",
  (instrument) => {
    it('records IN and OUT with one span id; the handler gets the hop from traceOf(request), no AsyncLocalStorage store', async () => {
      const { app } = await quoteApp('request', instrument);
      const response = await app.inject({ url: '/price/abc' });
      expect(response.statusCode).toBe(200);
      const seen = response.json() as Seen;
      const events = await services.events(2);
      const inEvent = eventOf(events, 'IN', 'quote');
      const outEvent = eventOf(events, 'OUT', 'quote');
      expect(inEvent).toMatchObject({ toEndpoint: 'GET /price/:sku', hostname: 'quote-host', flags: 1 });
      expect(outEvent).toMatchObject({
        spanId: inEvent.spanId,
        traceId: inEvent.traceId,
        toEndpoint: 'GET /price/:sku',
      });
      expect(outEvent.errorCode).toBeUndefined();
      expect(outEvent.durationMicros).toBeGreaterThanOrEqual(0);
      expect(seen.fromRequest).toMatchObject({
        traceId: inEvent.traceId,
        spanId: inEvent.spanId,
        sampled: true,
        endpoint: 'GET /price/:sku',
      });
      expect(seen.fromStorage).toBeNull();
      expect(response.headers['x-correlation-id']).toBe(inEvent.traceId);
    });

    it('continues an incoming X-Correlation-ID and traceparent, as the default mode does', async () => {
      const { app } = await quoteApp('request', instrument);
      const flaki = await app.inject({ url: '/price/a', headers: { 'x-correlation-id': '397237206544449536' } });
      expect(flaki.headers['x-correlation-id']).toBe('397237206544449536');
      expect((flaki.json() as Seen).fromRequest?.traceId).toBe('397237206544449536');
      const w3c = await app.inject({
        url: '/price/b',
        headers: {
          traceparent: '00-0000000000000000000000000000002a-00f067aa0ba902b7-01',
          tracestate: 'phosphor=p:1111111111111111',
        },
      });
      expect((w3c.json() as Seen).fromRequest).toMatchObject({ traceId: '42', spanId: '00f067aa0ba902b7' });
      const events = await services.events(4);
      const continued = events.filter((e) => e.traceId === '42');
      expect(continued.map((e) => [e.type, e.spanId, e.parentSpanId])).toEqual([
        ['IN', '00f067aa0ba902b7', '1111111111111111'],
        ['OUT', '00f067aa0ba902b7', '1111111111111111'],
      ]);
    });

    it("puts the thrown error's code on OUT for a 500, none for a 4xx, and the error handler sees the hop", async () => {
      const { app, errors } = await quoteApp('request', instrument);
      const boom = await app.inject({ url: '/boom' });
      const bad = await app.inject({ url: '/bad' });
      expect([boom.statusCode, bad.statusCode]).toEqual([500, 400]);
      const events = await services.events(4);
      const outs = events.filter((e) => e.type === 'OUT');
      expect(outs.map((e) => [e.toEndpoint, e.errorCode, e.errorDescription])).toEqual([
        ['GET /boom', 'E_CONFIG', 'Missing config at xxx'],
        ['GET /bad', undefined, undefined],
      ]);
      expect(errors).toHaveLength(2);
      expect(errors.map((e) => e.fromRequest?.traceId)).toEqual([
        boom.headers['x-correlation-id'],
        bad.headers['x-correlation-id'],
      ]);
      expect(errors.every((e) => e.fromStorage === null)).toBe(true);
    });

    it('traces requests no route matched as one endpoint', async () => {
      const { app } = await quoteApp('request', instrument);
      expect((await app.inject({ url: '/nowhere' })).statusCode).toBe(404);
      const events = await services.events(2);
      expect(eventOf(events, 'IN', 'quote').toEndpoint).toBe('GET <unmatched>');
    });
  },
);

describe("phosphorFastify with context: 'asyncLocalStorage' (default)", () => {
  it('attaches the hop to the request too, and runs the handler inside it', async () => {
    const { app } = await quoteApp('asyncLocalStorage');
    const seen = (await app.inject({ url: '/price/abc' })).json() as Seen;
    expect(seen.fromRequest?.traceId).toMatch(/^[1-9][0-9]*$/);
    expect(seen.fromStorage).toEqual(seen.fromRequest);
  });
});

describe('phosphorFastify context option', () => {
  it('refuses a second registration on the same instance (every hop would be recorded twice)', async () => {
    const app = Fastify();
    apps.push(app);
    await app.register(phosphorFastify, { tracer: services.tracer('quote'), context: 'request' });
    await expect(app.register(phosphorFastify, { tracer: services.tracer('quote') }).ready()).rejects.toThrow(
      'phosphorFastify: already registered on this fastify instance',
    );
  });

  it.each([['hooks'], ['routes']] as const)(
    'gives each request one property of its own in %s mode: the hop, which traceOf returns',
    async (instrument) => {
      const app = Fastify();
      apps.push(app);
      // Fastify copies every request decoration into each new request with a keyed store apiece.
      await app.register(phosphorFastify, { tracer: services.tracer('quote'), context: 'request', instrument });
      let symbols: string[] = [];
      let sameAsTraceOf = false;
      app.get('/x', async (request) => {
        const own = Object.getOwnPropertySymbols(request);
        symbols = own.map(String);
        sameAsTraceOf = own.some((key) => (request as unknown as Record<symbol, unknown>)[key] === traceOf(request));
        return { ok: true };
      });
      expect((await app.inject({ url: '/x' })).statusCode).toBe(200);
      expect(symbols.filter((key) => key.includes('phosphor'))).toEqual(['Symbol(@phosphor/tracer.trace)']);
      expect(sameAsTraceOf).toBe(true);
    },
  );

  it.each([['async'], [''], [42]])(
    'rejects context %j with TRC_ERR_OPTIONS_INVALID naming the option',
    async (context) => {
      const app = Fastify();
      apps.push(app);
      await expect(
        app.register(phosphorFastify, { tracer: services.tracer('quote'), context: context as never }).ready(),
      ).rejects.toThrow(
        /TRC_ERR_OPTIONS_INVALID: .*phosphorFastify: context: must be one of 'asyncLocalStorage', 'request'/,
      );
    },
  );
});

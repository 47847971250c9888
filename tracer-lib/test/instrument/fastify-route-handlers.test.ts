import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fastifyRouteHops, phosphorFastify } from '../../src/fastify.js';
import { createTracer, currentTrace, traceOf } from '../../src/index.js';
import { TracedServices } from '../support/traced-receiver.js';

let services: TracedServices;
const apps: FastifyInstance[] = [];

beforeEach(async () => {
  services = await TracedServices.start();
});

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  await services.close();
});

async function tracedApp(instrument: 'routes' | 'hooks' = 'routes'): Promise<FastifyInstance> {
  const app = Fastify();
  apps.push(app);
  await app.register(phosphorFastify, { tracer: services.tracer('svc'), instrument });
  return app;
}

/** [type, toEndpoint, status attribute, errorCode] of each event, in arrival order. */
async function summary(count: number): Promise<Array<[string, string, string | undefined, string | undefined]>> {
  const events = await services.events(count);
  return events.map((e) => [e.type, e.toEndpoint, e.tags?.['http.response.status_code'], e.errorCode]);
}

describe("phosphorFastify with instrument: 'routes'", () => {
  it('records OUT for a callback-style handler when it replies later, with the status it set', async () => {
    const app = await tracedApp();
    app.get('/later', (_request, reply) => {
      setTimeout(() => reply.code(202).send({ ok: true }), 5);
    });
    const response = await app.inject({ url: '/later' });
    expect(response.statusCode).toBe(202);
    expect(await summary(2)).toEqual([
      ['IN', 'GET /later', undefined, undefined],
      ['OUT', 'GET /later', '202', undefined],
    ]);
    const events = services.receiver.events;
    expect(events[1]?.durationMicros).toBeGreaterThanOrEqual(4000);
  });

  it('records OUT for sync handlers returning a value and for async handlers that send and return the reply', async () => {
    const app = await tracedApp();
    app.get('/sync', (_request, reply) => {
      reply.code(201);
      return { ok: true };
    });
    app.get('/sends', async (_request, reply) => {
      await new Promise((resolve) => setImmediate(resolve));
      reply.code(203).send({ ok: true });
      return reply;
    });
    expect((await app.inject({ url: '/sync' })).statusCode).toBe(201);
    expect((await app.inject({ url: '/sends' })).statusCode).toBe(203);
    expect(await summary(4)).toEqual([
      ['IN', 'GET /sync', undefined, undefined],
      ['OUT', 'GET /sync', '201', undefined],
      ['IN', 'GET /sends', undefined, undefined],
      ['OUT', 'GET /sends', '203', undefined],
    ]);
  });

  it('takes the status of a thrown error from the error handler; a 5xx carries the error code', async () => {
    const app = await tracedApp();
    app.setErrorHandler((error: Error & { code?: string }, _request, reply) =>
      reply.status(error.code === 'E_BUSY' ? 503 : 409).send({ code: error.code }),
    );
    app.get('/busy', async () => {
      throw Object.assign(new Error('queue full'), { code: 'E_BUSY' });
    });
    app.get('/conflict', () => {
      throw Object.assign(new Error('already there'), { code: 'E_DUP' });
    });
    expect((await app.inject({ url: '/busy' })).statusCode).toBe(503);
    expect((await app.inject({ url: '/conflict' })).statusCode).toBe(409);
    expect(await summary(4)).toEqual([
      ['IN', 'GET /busy', undefined, undefined],
      ['OUT', 'GET /busy', '503', 'E_BUSY'],
      ['IN', 'GET /conflict', undefined, undefined],
      ['OUT', 'GET /conflict', '409', undefined],
    ]);
    expect(services.receiver.events[1]?.errorDescription).toBe('queue full');
  });

  it('hands a wrapper added after it a promise-like (then, catch, finally) and records OUT once, however often it is awaited', async () => {
    const app = await tracedApp();
    const methods: string[] = [];
    let finallyRan = 0;
    // Another instrumentation wrapping the traced handler and using the result as a promise.
    app.addHook('onRoute', (route) => {
      const inner = route.handler as (this: unknown, ...args: unknown[]) => unknown;
      route.handler = function (this: unknown, request, reply) {
        const result = inner.call(this, request, reply) as PromiseLike<unknown> & {
          catch(f: () => void): PromiseLike<unknown>;
          finally(f: () => void): PromiseLike<unknown>;
        };
        methods.push(typeof result.then, typeof result.catch, typeof result.finally);
        result.finally(() => finallyRan++).then(undefined, () => {});
        result.catch(() => {});
        return result;
      };
    });
    app.get('/fine', async () => ({ ok: true }));
    app.get('/broken', async () => {
      throw Object.assign(new Error('disk gone'), { code: 'E_DISK' });
    });
    expect((await app.inject({ url: '/fine' })).json()).toEqual({ ok: true });
    expect((await app.inject({ url: '/broken' })).statusCode).toBe(500);
    expect(await summary(4)).toEqual([
      ['IN', 'GET /fine', undefined, undefined],
      ['OUT', 'GET /fine', '200', undefined],
      ['IN', 'GET /broken', undefined, undefined],
      ['OUT', 'GET /broken', '500', 'E_DISK'],
    ]);
    // A second OUT would have been recorded as the reply finished, before the flush above sent the
    // four: flush again and give a late datagram time to arrive.
    await services.events(4);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(services.receiver.events).toHaveLength(4);
    expect(methods).toEqual(Array(6).fill('function'));
    expect(finallyRan).toBe(2);
  });

  it('records a request that fails validation before its handler, under its route', async () => {
    const app = await tracedApp();
    app.post(
      '/items',
      { schema: { body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } } },
      async () => ({ ok: true }),
    );
    const response = await app.inject({ method: 'POST', url: '/items', payload: { n: 'x' } });
    expect(response.statusCode).toBe(400);
    expect(await summary(2)).toEqual([
      ['IN', 'POST /items', undefined, undefined],
      ['OUT', 'POST /items', '400', undefined],
    ]);
    expect(response.headers['x-correlation-id']).toBe(services.receiver.events[0]?.traceId);
  });

  it("records unmatched requests through the application's own not-found handler, set after the plugin", async () => {
    const app = await tracedApp();
    app.setNotFoundHandler((request, reply) => reply.code(404).send({ seen: traceOf(request)?.endpoint ?? null }));
    app.get('/x', async () => ({ ok: true }));
    const response = await app.inject({ url: '/nowhere' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ seen: 'GET <unmatched>' });
    expect(await summary(2)).toEqual([
      ['IN', 'GET <unmatched>', undefined, undefined],
      ['OUT', 'GET <unmatched>', '404', undefined],
    ]);
  });

  it('records HEAD requests to a GET route under HEAD, once each', async () => {
    const app = await tracedApp();
    app.get('/doc', async () => ({ ok: true }));
    expect((await app.inject({ method: 'HEAD', url: '/doc' })).statusCode).toBe(200);
    expect(await summary(2)).toEqual([
      ['IN', 'HEAD /doc', undefined, undefined],
      ['OUT', 'HEAD /doc', '200', undefined],
    ]);
  });

  it('runs the handler inside the hop, so work after an await still sees it', async () => {
    const app = await tracedApp();
    app.get('/ctx', async (request) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return { same: currentTrace()?.spanId === traceOf(request)?.spanId, spanId: currentTrace()?.spanId };
    });
    const body = (await app.inject({ url: '/ctx' })).json() as { same: boolean; spanId: string };
    expect(body.same).toBe(true);
    expect(body.spanId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('records routes of an encapsulated, prefixed plugin and its not-found handler', async () => {
    const app = await tracedApp();
    await app.register(
      async (child) => {
        child.get('/item', async () => ({ ok: true }));
        child.setNotFoundHandler((_request, reply) => reply.code(404).send({ where: 'child' }));
      },
      { prefix: '/v1' },
    );
    expect((await app.inject({ url: '/v1/item' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/v1/missing' })).json()).toEqual({ where: 'child' });
    expect(await summary(4)).toEqual([
      ['IN', 'GET /v1/item', undefined, undefined],
      ['OUT', 'GET /v1/item', '200', undefined],
      ['IN', 'GET <unmatched>', undefined, undefined],
      ['OUT', 'GET <unmatched>', '404', undefined],
    ]);
  });
});

describe("phosphorFastify with instrument: 'hooks' (default)", () => {
  it('records a request answered by an application hook, which the route mode does not see', async () => {
    const app = await tracedApp('hooks');
    app.addHook('onRequest', async (_request, reply) => reply.code(401).send({ denied: true }));
    app.get('/secret', async () => ({ ok: true }));
    expect((await app.inject({ url: '/secret' })).statusCode).toBe(401);
    expect(await summary(2)).toEqual([
      ['IN', 'GET /secret', undefined, undefined],
      ['OUT', 'GET /secret', '401', undefined],
    ]);
  });

  it('rejects an unknown instrument mode with TRC_ERR_OPTIONS_INVALID', async () => {
    const app = Fastify();
    apps.push(app);
    await expect(
      app.register(phosphorFastify, { tracer: services.tracer('svc'), instrument: 'handlers' as never }).ready(),
    ).rejects.toThrow(/TRC_ERR_OPTIONS_INVALID: .*phosphorFastify: instrument: must be one of 'routes', 'hooks'/);
  });
});

async function manualApp(): Promise<FastifyInstance> {
  const app = Fastify();
  apps.push(app);
  await app.register(phosphorFastify, { tracer: services.tracer('svc'), context: 'request', instrument: 'manual' });
  return app;
}

describe("phosphorFastify with instrument: 'manual'", () => {
  it("records the hop the handler begins and ends, with the handler's status, and returns OUT's timestamp", async () => {
    const app = await manualApp();
    const hops = fastifyRouteHops(app, 'POST', '/items');
    expect(hops).toBeDefined();
    let seen: { traceId?: string; endMicros?: number | undefined } = {};
    app.post('/items', async (request, reply) => {
      const context = hops?.begin(request, reply);
      expect(traceOf(request)).toBe(context);
      reply.code(201);
      const value = { ok: true };
      seen = { traceId: context?.traceId, endMicros: hops?.end(request, reply, value) };
      return value;
    });
    const response = await app.inject({ method: 'POST', url: '/items' });
    expect(response.statusCode).toBe(201);
    expect(response.headers['x-correlation-id']).toBe(seen.traceId);
    expect(await summary(2)).toEqual([
      ['IN', 'POST /items', undefined, undefined],
      ['OUT', 'POST /items', '201', undefined],
    ]);
    const out = services.receiver.events[1];
    expect(out?.timestampMicros).toBe(seen.endMicros);
    expect(out?.traceId).toBe(seen.traceId);
  });

  it('continues an incoming trace, records IN and OUT once when begun and ended twice, and leaves routes that do not record untraced', async () => {
    const app = await manualApp();
    const hops = fastifyRouteHops(app, 'GET', '/twice');
    let second: number | undefined = 0;
    let sameHop = false;
    app.get('/twice', async (request, reply) => {
      const first = hops?.begin(request, reply);
      sameHop = first !== undefined && hops?.begin(request, reply) === first;
      hops?.end(request, reply, 'a');
      second = hops?.end(request, reply, 'a');
      return 'a';
    });
    app.get('/plain', async () => 'b');
    await app.inject({ url: '/plain' });
    const response = await app.inject({ url: '/twice', headers: { 'x-correlation-id': '4242' } });
    expect(response.headers['x-correlation-id']).toBe('4242');
    expect(second).toBeUndefined();
    expect(sameHop).toBe(true);
    expect(await summary(2)).toEqual([
      ['IN', 'GET /twice', undefined, undefined],
      ['OUT', 'GET /twice', '200', undefined],
    ]);
    expect(services.receiver.events.map((e) => e.traceId)).toEqual(['4242', '4242']);
  });

  it('ends the hop of a handler that throws with the error handler reply, and of one that replies later when it is sent', async () => {
    const app = await manualApp();
    app.setErrorHandler((error: Error & { code?: string }, _request, reply) =>
      reply.status(503).send({ code: error.code }),
    );
    const busyHops = fastifyRouteHops(app, 'GET', '/busy');
    app.get('/busy', async (request, reply) => {
      busyHops?.begin(request, reply);
      throw Object.assign(new Error('queue full'), { code: 'E_BUSY' });
    });
    const laterHops = fastifyRouteHops(app, 'GET', '/later');
    let ended: number | undefined = 0;
    app.get('/later', (request, reply) => {
      laterHops?.begin(request, reply);
      setTimeout(() => reply.code(202).send({ ok: true }), 5);
      ended = laterHops?.end(request, reply, undefined);
    });
    expect((await app.inject({ url: '/busy' })).statusCode).toBe(503);
    expect((await app.inject({ url: '/later' })).statusCode).toBe(202);
    expect(ended).toBeUndefined();
    expect(await summary(4)).toEqual([
      ['IN', 'GET /busy', undefined, undefined],
      ['OUT', 'GET /busy', '503', 'E_BUSY'],
      ['IN', 'GET /later', undefined, undefined],
      ['OUT', 'GET /later', '202', undefined],
    ]);
    expect(services.receiver.events[1]?.errorDescription).toBe('queue full');
  });

  it('records unmatched requests and requests failing validation before the handler, as the routes mode does', async () => {
    const app = await manualApp();
    const hops = fastifyRouteHops(app, 'POST', '/valid');
    app.post(
      '/valid',
      { schema: { body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } } },
      async (request, reply) => {
        hops?.begin(request, reply);
        hops?.end(request, reply, 'ok');
        return 'ok';
      },
    );
    expect((await app.inject({ url: '/nowhere' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/valid', payload: { n: 'x' } })).statusCode).toBe(400);
    expect(await summary(4)).toEqual([
      ['IN', 'GET <unmatched>', undefined, undefined],
      ['OUT', 'GET <unmatched>', '404', undefined],
      ['IN', 'POST /valid', undefined, undefined],
      ['OUT', 'POST /valid', '400', undefined],
    ]);
  });

  it('gives no recorder where the plugin is not registered in this mode or the tracer is disabled, and refuses context asyncLocalStorage', async () => {
    const plain = Fastify();
    apps.push(plain);
    expect(fastifyRouteHops(plain, 'GET', '/')).toBeUndefined();

    const routes = Fastify();
    apps.push(routes);
    await routes.register(phosphorFastify, { tracer: services.tracer('svc'), instrument: 'routes' });
    expect(fastifyRouteHops(routes, 'GET', '/')).toBeUndefined();

    const disabled = Fastify();
    apps.push(disabled);
    await disabled.register(phosphorFastify, {
      tracer: createTracer({ enabled: false }),
      context: 'request',
      instrument: 'manual',
    });
    expect(fastifyRouteHops(disabled, 'GET', '/')).toBeUndefined();

    const wrongContext = Fastify();
    apps.push(wrongContext);
    await expect(
      wrongContext.register(phosphorFastify, { tracer: services.tracer('svc'), instrument: 'manual' }).ready(),
    ).rejects.toThrow(/instrument 'manual' needs context: 'request'/);
  });
});

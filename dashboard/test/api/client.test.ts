import { describe, expect, it } from 'vitest';
import { createApiClient, searchQueryString } from '../../src/api/client.js';
import { DashboardError } from '../../src/errors.js';

function fakeFetch(
  status: number,
  body: unknown,
  seen: Array<{ url: string; headers: Record<string, string> }>,
): typeof fetch {
  return (async (url: string, init?: RequestInit) => {
    seen.push({ url, headers: (init?.headers ?? {}) as Record<string, string> });
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json' },
    });
  }) as unknown as typeof fetch;
}

describe('API client', () => {
  it('sends the search in the collector parameter names', () => {
    const qs = searchQueryString({
      service: 'auth',
      minDurationMicros: 1500,
      errorsOnly: true,
      tags: { 'http.url': 'http://x:1/a', k: 'v' },
      sinceMicros: 10.4,
      untilMicros: 20.2,
      limit: 5,
    });
    const q = new URLSearchParams(qs);
    expect(q.get('service')).toBe('auth');
    expect(q.get('minDurationMicros')).toBe('1500');
    expect(q.get('error')).toBe('true');
    expect(q.getAll('tag')).toEqual(['http.url:http://x:1/a', 'k:v']);
    expect([q.get('since'), q.get('until'), q.get('limit')]).toEqual(['10', '21', '5']);
  });

  it('maps 404 on a trace to undefined and other statuses to DSH_ERR_API_HTTP with the collector code', async () => {
    const seen: Array<{ url: string; headers: Record<string, string> }> = [];
    const missing = createApiClient(
      '',
      fakeFetch(404, { code: 'COL_ERR_API_TRACE_NOT_FOUND', message: 'no trace' }, seen),
      () => undefined,
    );
    await expect(missing.getTrace('42')).resolves.toBeUndefined();
    expect(seen[0]!.url).toBe('/api/traces/42');

    const broken = createApiClient(
      '',
      fakeFetch(400, { code: 'COL_ERR_API_BAD_PARAM', message: 'limit: too big' }, seen),
      () => undefined,
    );
    const err = await broken.searchTraces({ limit: 5000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DashboardError);
    expect((err as DashboardError).code).toBe('DSH_ERR_API_HTTP');
    expect((err as Error).message).toContain('HTTP 400 (COL_ERR_API_BAD_PARAM limit: too big)');
  });

  it('reports a network failure as DSH_ERR_API_NETWORK and a non-JSON body as DSH_ERR_API_SHAPE', async () => {
    const down = createApiClient(
      '',
      (async () => {
        throw new TypeError('fetch failed');
      }) as unknown as typeof fetch,
      () => undefined,
    );
    await expect(down.getServices()).rejects.toMatchObject({ code: 'DSH_ERR_API_NETWORK' });
    const html = createApiClient('', fakeFetch(200, '<html>', []), () => undefined);
    await expect(html.getServices()).rejects.toMatchObject({ code: 'DSH_ERR_API_SHAPE' });
  });

  it('sends the bearer token as a header, and as access_token on the tail stream', async () => {
    const seen: Array<{ url: string; headers: Record<string, string> }> = [];
    const client = createApiClient('', fakeFetch(200, { services: [] }, seen), () => 's3cret');
    await client.getServices();
    expect(seen[0]!.headers.authorization).toBe('Bearer s3cret');
    expect(client.tailUrl({ service: 'a', errorsOnly: true })).toBe(
      '/api/tail?service=a&error=true&access_token=s3cret',
    );
  });

  it('hands the trace worker an absolute URL and the same headers', () => {
    const client = createApiClient('', fakeFetch(200, {}, []), () => 's3cret');
    const request = client.traceRequest!('a b');
    expect(request.path).toBe('/api/traces/a%20b');
    expect(request.url).toBe(new URL('/api/traces/a%20b', window.location.href).href);
    expect(request.url).toMatch(/^https?:\/\//);
    expect(request.headers).toEqual({ accept: 'application/json', authorization: 'Bearer s3cret' });
  });
});

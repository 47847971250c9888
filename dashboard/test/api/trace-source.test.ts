import { describe, expect, it } from 'vitest';
import { createApiClient } from '../../src/api/client.js';
import { type LoadProgress, loadTrace } from '../../src/api/trace-source.js';
import { createTraceWorkerHost } from '../../src/api/trace-worker-host.js';
import type { FromWorker } from '../../src/api/trace-worker-protocol.js';
import type { TraceWorker } from '../../src/api/worker-trace-source.js';
import { DashboardError } from '../../src/errors.js';
import { generateTrace } from '../../src/fixtures/synthetic-trace.js';
import { traceToText } from '../../src/model/text-view.js';
import { buildTrace, spanIdAt } from '../../src/model/trace-tree.js';
import { fakeApi } from '../support/fake-api.js';
import { fixedFetch, type InProcessWorker, inProcessWorker } from '../support/in-process-worker.js';

const spans = generateTrace({ spanCount: 2_000, seed: 31, traceId: '42', partialRatio: 0.1, errorRatio: 0.05 });
const body = { traceId: '42', spans };

/** An API client whose trace requests go to `fetchImpl`, loaded through an in-process worker. */
function setup(fetchImpl: typeof fetch) {
  const api = createApiClient('http://collector.test', fetchImpl, () => 'tok');
  let worker: InProcessWorker | undefined;
  const createWorker = () => {
    worker = inProcessWorker(fetchImpl);
    return worker;
  };
  return { api, createWorker, worker: () => worker! };
}

describe('loadTrace in a worker', () => {
  it('returns the tree the page would build, with progress, and answers span and text requests', async () => {
    const seen: string[] = [];
    const { api, createWorker, worker } = setup(fixedFetch(200, body, seen));
    const progress: LoadProgress[] = [];
    const source = (await loadTrace(api, '42', { createWorker, onProgress: (p) => progress.push(p) }))!;
    expect(seen).toEqual(['http://collector.test/api/traces/42']);

    const expected = buildTrace(spans);
    expect(source.tree.size).toBe(2_000);
    expect(spanIdAt(source.tree, 1_234)).toBe(spanIdAt(expected.tree, 1_234));
    expect([...source.tree.adjusted.critical]).toEqual([...expected.tree.adjusted.critical]);
    expect(source.tree.partialCount).toBe(expected.tree.partialCount);

    expect(progress.map((p) => p.phase)).toEqual(expect.arrayContaining(['download', 'parse', 'build']));
    const lastDownload = progress.filter((p) => p.phase === 'download').at(-1)!;
    expect(lastDownload.loadedBytes).toBe(lastDownload.totalBytes);
    expect(progress.find((p) => p.phase === 'build')!.spanCount).toBe(2_000);

    expect(await source.span(1_234)).toEqual(expected.spans[1_234]);
    const text = await source.text('42', 'raw', 50);
    expect(text).toEqual(traceToText('42', expected.spans, 'raw', 50));
    await expect(source.span(5_000)).rejects.toMatchObject({ code: 'DSH_ERR_TRACE_WORKER' });

    source.close();
    source.close(); // safe twice
    expect(worker().terminated).toBe(true);
    await expect(source.span(1)).rejects.toMatchObject({ code: 'DSH_ERR_TRACE_WORKER' });
  });

  it('resolves undefined for an unknown trace and ends the worker', async () => {
    const { api, createWorker, worker } = setup(fixedFetch(404, { code: 'COL_ERR_API_TRACE_NOT_FOUND' }));
    await expect(loadTrace(api, '42', { createWorker })).resolves.toBeUndefined();
    expect(worker().terminated).toBe(true);
  });

  it.each([
    [
      'an HTTP error, with the collector code',
      fixedFetch(503, { code: 'COL_ERR_X', message: 'busy' }),
      'DSH_ERR_API_HTTP',
      /HTTP 503 \(COL_ERR_X busy\)/,
    ],
    ['a body that is not JSON', fixedFetch(200, '<html>'), 'DSH_ERR_API_SHAPE', /body is not JSON/],
    [
      'a span that fails validation, by field',
      fixedFetch(200, { spans: [spans[0], { ...spans[1], events: { IN: 'soon' } }] }),
      'DSH_ERR_API_SHAPE',
      /spans\[1\]\.events\.IN: expected a finite number, got string/,
    ],
  ] as const)('rejects %s as a DashboardError', async (_name, fetchImpl, code, message) => {
    const { api, createWorker, worker } = setup(fetchImpl);
    const error = await loadTrace(api, '42', { createWorker }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DashboardError);
    expect(error).toMatchObject({ code });
    expect((error as Error).message).toMatch(message);
    expect(worker().terminated).toBe(true);
  });

  it('stops the worker when the load is aborted mid-download', async () => {
    // A body that sends one chunk and then never ends.
    const stalled = (async () =>
      new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('{"spans":['));
          },
        }),
        { status: 200 },
      )) as unknown as typeof fetch;
    const { api, createWorker, worker } = setup(stalled);
    const controller = new AbortController();
    const progress: LoadProgress[] = [];
    const loading = loadTrace(api, '42', {
      createWorker,
      signal: controller.signal,
      onProgress: (p) => {
        progress.push(p);
        if (p.loadedBytes > 0) controller.abort();
      },
    });
    await expect(loading).rejects.toMatchObject({ name: 'AbortError' });
    expect(worker().terminated).toBe(true);
    expect(progress.at(-1)!.loadedBytes).toBe(10);
  });

  it('loads on the page when the worker fails to start', async () => {
    const api = createApiClient('http://collector.test', fixedFetch(200, body), () => undefined);
    const broken: TraceWorker = {
      onmessage: null,
      onerror: null,
      postMessage() {
        setTimeout(() => broken.onerror?.({ message: 'blocked by CSP', preventDefault() {} } as ErrorEvent), 0);
      },
      terminate() {},
    };
    const source = (await loadTrace(api, '42', { createWorker: () => broken }))!;
    expect(source.tree.size).toBe(2_000);
    expect((await source.span(0)).spanId).toBe(spanIdAt(source.tree, 0));
  });

  it('loads on the page for clients without a raw trace request (in-memory test clients)', async () => {
    let created = 0;
    const source = await loadTrace(fakeApi({ traces: { '42': spans } }), '42', {
      createWorker: () => {
        created++;
        return undefined;
      },
    });
    expect(created).toBe(0);
    expect(source!.tree.size).toBe(2_000);
  });
});

describe('trace worker host', () => {
  async function reply(message: unknown, loadFirst = false): Promise<FromWorker[]> {
    const out: FromWorker[] = [];
    const host = createTraceWorkerHost((m) => out.push(m), fixedFetch(200, body));
    if (loadFirst)
      await host({ type: 'load', request: { url: 'http://x/api/traces/42', path: '/api/traces/42', headers: {} } });
    out.length = 0;
    await host(message);
    return out;
  }

  it.each([
    ['a message without a type', 'nope', false, /message without a type/],
    ['a load without a request', { type: 'load' }, false, /load\.request needs url, path and headers/],
    ['a span request before the load', { type: 'span', id: 1, row: 0 }, false, /span before the trace loaded/],
    ['a span row that is not a number', { type: 'span', id: 2, row: '0' }, true, /span\.row: no row 0/],
    [
      'a text request with an unknown mode',
      { type: 'text', id: 3, traceId: '42', mode: 'fast', maxLines: 5 },
      true,
      /mode \(adjusted\|raw\)/,
    ],
    ['an unknown type', { type: 'explode', id: 4 }, true, /unknown message type "explode"/],
  ] as const)('answers %s with DSH_ERR_TRACE_WORKER naming the problem', async (_name, message, loadFirst, why) => {
    const [answer] = await reply(message, loadFirst);
    expect(answer).toBeDefined();
    const error = (answer as { error: { code: string; detail: string } }).error;
    expect(error.code).toBe('DSH_ERR_TRACE_WORKER');
    expect(error.detail).toMatch(why);
  });
});

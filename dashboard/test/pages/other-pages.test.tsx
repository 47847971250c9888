import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { ApiProvider } from '../../src/api/context.js';
import { App } from '../../src/app.js';
import { generateTrace, summarise } from '../../src/fixtures/synthetic-trace.js';
import { MAX_TAIL_SPANS, TAIL_FLUSH_MILLIS } from '../../src/hooks/use-span-tail.js';
import { TailPage } from '../../src/pages/tail-page.js';
import { fakeApi } from '../support/fake-api.js';
import { entryTrace } from '../support/spans.js';

function open(hash: string, api: ReturnType<typeof fakeApi>) {
  window.location.hash = hash;
  return render(
    <ApiProvider client={api}>
      <App />
    </ApiProvider>,
  );
}

describe('search page', () => {
  const rows = [1, 2, 3].map((seed) =>
    summarise(
      `10${seed}`,
      generateTrace({ spanCount: 20, seed, traceId: `10${seed}`, errorRatio: seed === 2 ? 1 : 0 }),
    ),
  );

  it('runs the search in the URL and shows a list and a scatter with errors marked', async () => {
    const api = fakeApi({ searchResults: rows });
    open('#/search?service=api-gateway&errors=1&lookback=15m', api);
    await screen.findByText('3 traces, newest first');
    expect(api.calls.some((c) => c.includes('"service":"api-gateway"') && c.includes('"errorsOnly":true'))).toBe(true);
    expect(document.querySelectorAll('.scatter .point')).toHaveLength(3);
    expect(document.querySelectorAll('.scatter .point-error')).toHaveLength(1);
    fireEvent.click(document.querySelector('.scatter .point')!);
    expect(window.location.hash).toMatch(/^#\/trace\/10\d$/);
  });

  it('marks a trace whose root span is not seen yet, in the list and on its scatter point', async () => {
    const pending = { ...rows[0]!, traceId: '109', rootSeen: false };
    open('#/search', fakeApi({ searchResults: [pending, rows[1]!] }));
    await screen.findByText('2 traces, newest first');
    expect(screen.getAllByText('root not seen')).toHaveLength(1);
    const labels = [...document.querySelectorAll('.scatter .point')].map((p) => p.getAttribute('aria-label') ?? '');
    expect(labels.filter((l) => l.includes('(root not seen)'))).toHaveLength(1);
  });

  it('writes the form into the URL', async () => {
    open('#/search', fakeApi({ searchResults: [] }));
    await screen.findByText(/No traces match/);
    fireEvent.change(screen.getByLabelText('Service'), { target: { value: 'auth' } });
    fireEvent.change(screen.getByLabelText('Min duration (ms)'), { target: { value: '5' } });
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    await waitFor(() => expect(window.location.hash).toContain('service=auth'));
    expect(window.location.hash).toContain('minMs=5');
  });

  it('shows field errors instead of searching', async () => {
    const api = fakeApi({ searchResults: rows });
    open('#/search?minMs=fast', api);
    expect((await screen.findByRole('alert')).textContent).toContain('DSH_ERR_SEARCH_INPUT');
    expect(api.calls.filter((c) => c.startsWith('search'))).toHaveLength(0);
  });

  it('opens a pasted trace id, and rejects a malformed one', async () => {
    open('#/search', fakeApi({}));
    const input = screen.getByLabelText('Trace / correlation id');
    fireEvent.change(input, { target: { value: '<script>' } });
    fireEvent.click(screen.getByRole('button', { name: 'Open' }));
    expect(screen.getByText(/DSH_ERR_ROUTE_TRACE_ID/)).toBeTruthy();
    fireEvent.change(input, { target: { value: ' 123456789 ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Open' }));
    expect(window.location.hash).toBe('#/trace/123456789');
  });
});

describe('services page', () => {
  it('shows aggregates for the window in the URL and draws the dependency graph', async () => {
    const stats = {
      count: 100,
      ratePerSecond: 1.5,
      errors: 5,
      p50Micros: 1000,
      p95Micros: 5000,
      p99Micros: 9000,
      maxMicros: 9900,
    };
    const api = fakeApi({
      config: { windows: ['1m', '5m', '15m'] },
      aggregates: {
        window: '15m',
        windowSeconds: 900,
        generatedAtMicros: 0,
        endpoints: [{ service: 'auth', endpoint: 'check', ...stats }],
        edges: [],
        hosts: [],
      },
      dependencies: {
        nodes: [
          { service: 'gw', calls: 10, errors: 0 },
          { service: 'auth', calls: 100, errors: 5 },
        ],
        edges: [{ from: 'gw', to: 'auth', calls: 100, errors: 5 }],
      },
    });
    open('#/services?window=15m', api);
    expect(await screen.findByText('5.0 %')).toBeTruthy();
    expect(screen.getByText('9.00 ms')).toBeTruthy();
    expect(api.calls).toContain('aggregates 15m');
    const graph = await screen.findByRole('img', { name: /Dependency graph: 2 services, 1 edges/ });
    expect(graph.querySelectorAll('.node')).toHaveLength(2);
    expect(graph.querySelector('.edge-error text')?.textContent).toBe('100 / 5 err');
  });
});

/** A controllable stand-in for the browser's EventSource. */
class FakeEventSource extends EventTarget {
  static last: FakeEventSource | undefined;
  readyState = 0;
  closed = false;
  constructor(readonly url: string) {
    super();
    FakeEventSource.last = this;
  }
  open() {
    this.readyState = 1;
    this.dispatchEvent(new Event('open'));
  }
  send(data: unknown) {
    this.dispatchEvent(new MessageEvent('span', { data: typeof data === 'string' ? data : JSON.stringify(data) }));
  }
  close() {
    this.closed = true;
  }
}

describe('live tail', () => {
  const factory = (url: string) => new FakeEventSource(url) as unknown as EventSource;

  it('streams spans newest start first, pauses, resumes, and keeps the list bounded', async () => {
    vi.useFakeTimers();
    try {
      render(
        <ApiProvider client={fakeApi({})}>
          <TailPage params={new URLSearchParams('service=auth&errors=1')} eventSourceFactory={factory} />
        </ApiProvider>,
      );
      const source = FakeEventSource.last!;
      expect(source.url).toBe('/api/tail?service=auth&errorsOnly=true');
      const spans = generateTrace({ spanCount: MAX_TAIL_SPANS + 50, seed: 8 });
      act(() => {
        source.open();
        source.send(spans[0]);
        source.send(spans[1]);
        vi.advanceTimersByTime(TAIL_FLUSH_MILLIS);
      });
      let bodyRows = document.querySelectorAll('.tail-table tbody tr');
      expect(bodyRows).toHaveLength(2);
      const later = spans[1]!.startMicros >= spans[0]!.startMicros ? spans[1]! : spans[0]!;
      expect(bodyRows[0]!.querySelector('a')!.getAttribute('href')).toBe(
        `#/trace/${later.traceId}?span=${later.spanId}`,
      );

      fireEvent.click(screen.getByRole('button', { name: 'Pause' }));
      act(() => {
        source.send(spans[2]);
        source.send('{"not":"a span"}');
        vi.advanceTimersByTime(TAIL_FLUSH_MILLIS);
      });
      expect(document.querySelectorAll('.tail-table tbody tr')).toHaveLength(2);
      expect(screen.getByText(/paused, 1 new spans not shown/)).toBeTruthy();
      expect(screen.getByText(/1 frames were not spans/).textContent).toContain('tail span.');

      fireEvent.click(screen.getByRole('button', { name: 'Resume' }));
      act(() => {
        for (const s of spans.slice(3)) source.send(s);
        vi.advanceTimersByTime(TAIL_FLUSH_MILLIS);
      });
      bodyRows = document.querySelectorAll('.tail-table tbody tr');
      expect(bodyRows).toHaveLength(MAX_TAIL_SPANS);
      // The rows kept are those that started last, in start order (spans that started together: the
      // later arrival first).
      const shown = [...bodyRows].map((tr) => tr.querySelector('a')!.getAttribute('href'));
      const expected = [spans[0]!, spans[1]!, ...spans.slice(3)]
        .reverse()
        .sort((a, b) => b.startMicros - a.startMicros)
        .slice(0, MAX_TAIL_SPANS)
        .map((s) => `#/trace/${s.traceId}?span=${s.spanId}`);
      expect(shown).toEqual(expected);
    } finally {
      vi.useRealTimers();
    }
  });

  it('labels entry spans and uninstrumented callees as such, and only lost events as missing', () => {
    vi.useFakeTimers();
    try {
      render(
        <ApiProvider client={fakeApi({})}>
          <TailPage params={new URLSearchParams()} eventSourceFactory={factory} />
        </ApiProvider>,
      );
      const source = FakeEventSource.last!;
      const [entry, redis, lost] = entryTrace();
      act(() => {
        source.open();
        for (const s of [entry, redis, lost]) source.send(s);
        vi.advanceTimersByTime(TAIL_FLUSH_MILLIS);
      });
      // Newest start first, whatever the order they finish in: lost, redis, entry.
      act(() => {
        for (const s of [lost, entry, redis]) source.send(s);
        vi.advanceTimersByTime(TAIL_FLUSH_MILLIS);
      });
      const status = [...document.querySelectorAll('.tail-table tbody tr')].map((tr) => tr.children[3]!.textContent);
      expect(status).toEqual([
        'missing OUT REP',
        'missing OUT REP',
        'uninstrumented callee',
        'uninstrumented callee',
        'entry',
        'entry',
      ]);
    } finally {
      vi.useRealTimers();
    }
  });
});

import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ApiProvider } from '../../src/api/context.js';
import { App } from '../../src/app.js';
import { DashboardError } from '../../src/errors.js';
import { generateTrace, HOSTILE_NAMES } from '../../src/fixtures/synthetic-trace.js';
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

describe('trace page', () => {
  const spans = generateTrace({ spanCount: 300, seed: 21, traceId: '777', errorRatio: 0.05 });

  it('loads the trace, shows the timeline, and opens span details on click', async () => {
    const api = fakeApi({ traces: { '777': spans }, config: { kibanaUrl: 'http://kibana.local:5601' } });
    open('#/trace/777', api);
    expect(screen.getByRole('status').textContent).toContain('Loading trace 777');
    await screen.findByRole('tree');
    expect(screen.getByText(/300 spans/)).toBeTruthy();
    fireEvent.click(screen.getAllByRole('treeitem')[2]!);
    const details = await screen.findByRole('complementary', { name: 'Span details' });
    expect(details.textContent).toContain(
      spans.find((s) => s.spanId === window.location.hash.match(/span=(\w+)/)?.[1])!.spanId,
    );
    expect(window.location.hash).toMatch(/^#\/trace\/777\?span=/);
    const kibana = screen.getByRole('link', { name: 'Logs in Kibana' });
    expect(kibana.getAttribute('href')).toMatch(/^http:\/\/kibana\.local:5601\/app\/discover#/);
  });

  it('a pasted OpenTelemetry 128-bit hex id shows the trace under its canonical id, the OTel id beside it', async () => {
    const otel = generateTrace({ spanCount: 20, seed: 5, traceId: '12345' });
    const api = fakeApi({ traces: { '12345': otel }, config: { kibanaUrl: 'http://kibana.local:5601' } });
    open('#/trace/00000000000000000000000000003039', api);
    await screen.findByRole('tree');
    expect(screen.getByRole('heading', { level: 2 }).textContent).toBe('Trace 12345');
    expect(document.querySelector('.trace-otel-id')?.textContent).toBe(
      'OpenTelemetry trace id 00000000000000000000000000003039',
    );
    // Logs are stored under the canonical id, so the Kibana link searches for it.
    const kibana = screen.getByRole('link', { name: 'Logs in Kibana' }).getAttribute('href') as string;
    expect(decodeURIComponent(kibana)).toContain('12345');
    expect(decodeURIComponent(kibana)).not.toContain('3039');
  });

  it('a 128-bit OTel id with a non-zero upper half stays hex, lower-cased', async () => {
    const id = '4bf92f3577b34da6a3ce929d0e0e4736';
    open(
      `#/trace/${id.toUpperCase()}`,
      fakeApi({ traces: { [id]: generateTrace({ spanCount: 5, seed: 6, traceId: id }) } }),
    );
    await screen.findByRole('tree');
    expect(screen.getByRole('heading', { level: 2 }).textContent).toBe(`Trace ${id}`);
    expect(document.querySelector('.trace-otel-id')?.textContent).toBe(`OpenTelemetry trace id ${id}`);
  });

  it('switches to the copyable text view through the URL', async () => {
    open('#/trace/777', fakeApi({ traces: { '777': spans } }));
    await screen.findByRole('tree');
    fireEvent.click(screen.getByRole('button', { name: 'Text' }));
    await waitFor(() => expect(window.location.hash).toContain('view=text'));
    const pre = await screen.findByTestId('trace-text');
    expect(pre.textContent?.startsWith('Tracing: 777\n')).toBe(true);
    expect(screen.getByRole('button', { name: 'Copy' })).toBeTruthy();
  });

  it('counts only lost events as partial in the header, and explains expected ones in the details', async () => {
    open('#/trace/t1?span=e', fakeApi({ traces: { t1: entryTrace() } }));
    await screen.findByRole('tree');
    const summary = document.querySelector('.trace-summary')!.textContent;
    expect(summary).toContain('1 partial');
    expect(summary).toContain('1 uninstrumented callee');
    const details = await screen.findByRole('complementary', { name: 'Span details' });
    expect(details.textContent).toContain('REQ, REP: expected, entry');
    act(() => {
      window.location.hash = '#/trace/t1?span=q';
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    });
    await waitFor(() =>
      expect(screen.getByRole('complementary').textContent).toContain('OUT, REP: lost (partial span)'),
    );
  });

  it('shows no partial badge for a complete trace entered from an uninstrumented client', async () => {
    open('#/trace/t2', fakeApi({ traces: { t2: entryTrace('t2').slice(0, 2) } }));
    await screen.findByRole('tree');
    const summary = document.querySelector('.trace-summary')!.textContent;
    expect(summary).not.toContain('partial');
    expect(summary).toContain('1 uninstrumented callee');
  });

  it('says so when the collector does not know the trace', async () => {
    open('#/trace/404', fakeApi({ traces: {} }));
    expect((await screen.findByText(/is not known to the collector/)).textContent).toContain('404');
  });

  it('shows the error code when the collector fails', async () => {
    open(
      '#/trace/1',
      fakeApi({ failWith: new DashboardError('DSH_ERR_API_NETWORK', 'GET /api/traces/1: fetch failed') }),
    );
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('DSH_ERR_API_NETWORK');
    expect(screen.getByRole('button', { name: 'Retry' })).toBeTruthy();
  });

  it('renders hostile span data as text, including in details and the text view', async () => {
    const hostile = generateTrace({ spanCount: 40, seed: 3, traceId: '666', hostile: true, errorRatio: 1 });
    const { container } = open('#/trace/666?span=0000000000000002', fakeApi({ traces: { '666': hostile } }));
    await screen.findByRole('complementary', { name: 'Span details' });
    expect(container.querySelector('img, script')).toBeNull();
    expect(screen.getAllByText(HOSTILE_NAMES[0]).length).toBeGreaterThan(0);
    // No link is built from span data: the only anchors are navigation.
    for (const a of container.querySelectorAll('a')) expect(a.getAttribute('href')).toMatch(/^#\//);
    act(() => {
      window.location.hash = '#/trace/666?view=text';
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    });
    expect((await screen.findByTestId('trace-text')).textContent).toContain('<img src=x onerror=alert(1)>');
    expect(container.querySelector('img, script')).toBeNull();
  });
});

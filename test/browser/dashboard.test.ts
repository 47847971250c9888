/**
 * The dashboard end to end in real headless Chromium: a collector built in-process serves the
 * built dashboard and receives real UDP traffic from the tracer; the browser walks search →
 * trace → timeline → span details → text view → live tail, and a hostile service name must
 * render as text without running script. Screenshots go to test/artifacts/screenshots/.
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildCollector, type Collector, loadConfig } from '@phosphor/collector';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBackend } from '../support/backends.js';
import { CHROMIUM_ARGS } from '../support/helpers.js';
import { sendTraffic } from './traffic.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = `${ROOT}dashboard/dist`;
const SHOTS = `${ROOT}test/artifacts/screenshots`;
const HOSTILE = '<img src=x onerror=alert(1)>';
const TRACE_IDS = ['7001000000000001', '7001000000000002', '7001000000000003'];
const HOSTILE_TRACE = TRACE_IDS[2]!;

let collector: Collector;
let browser: Browser;
let page: Page;
let baseUrl: string;
let udpTarget: string;
const dialogs: string[] = [];
const pageErrors: string[] = [];

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: false });
}

describe('dashboard in Chromium', () => {
  beforeAll(async () => {
    const executablePath = await requireBackend('chromium');
    await promisify(execFile)('npm', ['run', 'build', '-w', 'dashboard'], { cwd: ROOT });
    mkdirSync(SHOTS, { recursive: true });
    const config = loadConfig({
      values: {
        udp: { port: 0 },
        http: { port: 0 },
        otlp: { http: { port: 0 }, grpc: { port: 0 } },
        dashboard: { distDir: DIST, kibanaUrl: 'http://kibana.example:5601' },
        logging: { level: 'silent' },
      },
    });
    collector = await buildCollector(config);
    const addresses = await collector.start();
    baseUrl = addresses.httpUrl;
    udpTarget = `127.0.0.1:${addresses.udpPort}`;
    await sendTraffic({ collector: udpTarget, traceIds: TRACE_IDS, hostileName: HOSTILE });
    // Spans are assembled asynchronously after the datagrams arrive.
    const deadline = performance.now() + 10_000;
    for (;;) {
      const res = await fetch(`${baseUrl}/api/traces/${HOSTILE_TRACE}`);
      if (res.ok && ((await res.json()) as { spans: unknown[] }).spans.length >= 5) break;
      if (performance.now() > deadline) throw new Error('collector did not assemble the test traffic within 10 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  afterAll(async () => {
    await browser?.close();
    await collector?.close();
  });

  it('searches, opens a trace, shows the timeline, span details and the text view', async () => {
    await page.goto(`${baseUrl}/#/search?lookback=all`);
    await page.getByText(/traces, newest first/).waitFor();
    expect(await page.locator('table.results tbody tr').count()).toBe(TRACE_IDS.length);
    expect(await page.locator('.scatter .point-error').count()).toBe(1);
    await shot('search');

    await page.locator(`a[href="#/trace/${TRACE_IDS[0]}"]`).click();
    await page.getByRole('tree').waitFor();
    // The trace was loaded by the dashboard's Web Worker (allowed by the page's CSP), not on the main thread.
    expect(page.workers().map((w) => w.url())).toEqual([expect.stringMatching(/\/trace-load\.worker-[\w-]+\.js$/)]);
    expect(await page.getByRole('treeitem').count()).toBe(4);
    expect(await page.locator('.span-row.error').count()).toBe(1);
    expect(await page.locator('.span-row.critical').count()).toBeGreaterThan(0);
    const kibana = await page.getByRole('link', { name: 'Logs in Kibana' }).getAttribute('href');
    expect(kibana).toMatch(/^http:\/\/kibana\.example:5601\/app\/discover#/);
    await shot('timeline');

    await page.locator('.span-row.error').click();
    const details = page.getByRole('complementary', { name: 'Span details' });
    await details.waitFor();
    expect(await details.textContent()).toContain('redis connection refused');
    expect(page.url()).toContain('span=');
    await shot('span-details');

    // Keyboard: focus the tree, go to the top, then down one row.
    await page.getByRole('tree').focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowDown');
    expect(await page.getByRole('tree').getAttribute('aria-activedescendant')).toBe('span-row-1');

    await page.getByRole('button', { name: 'Text' }).click();
    const text = (await page.getByTestId('trace-text').textContent()) ?? '';
    expect(text.startsWith(`Tracing: ${TRACE_IDS[0]}`)).toBe(true);
    expect(text).toMatch(/\[eu-west-1a\/ip-10-0-1-10\] \[REQ\] browser → web-gateway\.GET \/ids -/);
    expect(text).toContain(' ERR - redis-proxy.log: UNAVAILABLE redis connection refused');
    await shot('text-view');
  });

  it('streams new spans into the live tail and pauses', async () => {
    await page.goto(`${baseUrl}/#/tail`);
    await page.getByText('live', { exact: false }).first().waitFor();
    await page.locator('.tail-open').waitFor();
    await sendTraffic({ collector: udpTarget, traceIds: ['7001000000000099'] });
    await page.locator('.tail-table tbody tr').first().waitFor({ timeout: 10_000 });
    await expect.poll(() => page.locator('.tail-table tbody tr').count(), { timeout: 10_000 }).toBe(4);
    await shot('live-tail');
    await page.getByRole('button', { name: 'Pause' }).click();
    await sendTraffic({ collector: udpTarget, traceIds: ['7001000000000100'] });
    await page.getByText(/paused, 4 new spans not shown/).waitFor({ timeout: 10_000 });
    expect(await page.locator('.tail-table tbody tr').count()).toBe(4);
  });

  it('shows the services view with aggregates and the dependency graph', async () => {
    await page.goto(`${baseUrl}/#/services?window=5m`);
    await page.locator('table.aggregates').first().waitFor();
    await page.locator('.dependency-graph .node').first().waitFor();
    expect(await page.locator('.dependency-graph .node').count()).toBeGreaterThanOrEqual(4);
    await shot('services');
  });

  it('renders a hostile service name as text and runs no script', async () => {
    await page.goto(`${baseUrl}/#/trace/${HOSTILE_TRACE}`);
    await page.getByRole('tree').waitFor();
    await page.getByText(HOSTILE, { exact: true }).first().waitFor();
    await page.getByText(HOSTILE, { exact: true }).first().click();
    await page.getByRole('complementary', { name: 'Span details' }).waitFor();
    await page.getByRole('button', { name: 'Text' }).click();
    expect(await page.getByTestId('trace-text').textContent()).toContain(HOSTILE);
    await page.goto(`${baseUrl}/#/search?lookback=all&service=${encodeURIComponent(HOSTILE)}`);
    await page.getByText(/traces, newest first/).waitFor();
    await page.waitForTimeout(300);
    expect(await page.locator('img').count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    await shot('hostile');
  });
});

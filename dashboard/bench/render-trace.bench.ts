/**
 * Trace render benchmark in real headless Chromium (Debian chromium via playwright-core).
 *
 * Serves the built dashboard and synthetic traces (1k / 10k / 100k spans) from a small local
 * server, then measures, in one browser run:
 *   - open:   hash navigation → timeline rows painted (fetch + JSON + validation + tree + render);
 *   - floor:  fetch + JSON.parse of the same trace alone (the part no UI can avoid);
 *   - naive:  peer — plain DOM, one row element per span, no framework, no virtualisation;
 *   - scroll: frame intervals while scrolling the timeline top to bottom;
 *   - collapse/expand all.
 * Prints a table; `--md` prints Markdown for docs/benchmarks.md.
 *
 * Run: npm run build -w dashboard && npm run bench:dashboard
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { requireBackend } from '../../test/support/backends.js';
import { CHROMIUM_ARGS } from '../../test/support/helpers.js';
import { generateTrace } from '../src/fixtures/synthetic-trace.js';

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const SIZES = [1_000, 10_000, 100_000] as const;
/** Repetitions per size; the median is reported (first-run JIT warm-up skews a single sample). */
const RUNS = 3;
/** Scroll steps for the frame-time measurements (one step per animation frame). */
const SCROLL_FRAMES = 120;
/** A fast mouse-wheel/trackpad scroll moves about this much per frame (~8 rows). */
const WHEEL_STEP_PX = 200;
const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
};

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function serve(traces: Map<string, string>): Promise<Server> {
  const server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const m = /^\/api\/traces\/(\w+)$/.exec(path);
    if (m) {
      const body = traces.get(m[1]!);
      res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(body ?? '{"code":"NOT_FOUND"}');
      return;
    }
    if (path === '/api/config') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    if (path.startsWith('/api/'))
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"traces":[],"services":[]}');
    const file = normalize(join(DIST, path === '/' ? 'index.html' : path));
    if (!file.startsWith(DIST)) return void res.writeHead(403).end();
    try {
      const data = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(data);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

/** What opening a trace cost, measured inside the page. */
interface OpenMeasurement {
  /** Hash navigation → first timeline rows painted. */
  openMs: number;
  /** Longest main-thread task reported by the Long Tasks API while opening (0: none ≥ 50 ms). */
  longestTaskMs: number;
  /** Longest gap between consecutive animation frames while opening: how long the page could not paint. */
  maxFrameGapMs: number;
}

/**
 * Hash navigation → first timeline row painted. While waiting, a rAF loop records the longest
 * gap between frames and a PerformanceObserver collects long tasks: both say how long the main
 * thread was blocked (the page frozen) during the open.
 */
function openTrace(page: Page, traceId: string): Promise<OpenMeasurement> {
  return page.evaluate(
    (id) =>
      new Promise<OpenMeasurement>((resolve) => {
        let longestTaskMs = 0;
        const observer = new PerformanceObserver((list) => {
          for (const e of list.getEntries()) longestTaskMs = Math.max(longestTaskMs, e.duration);
        });
        observer.observe({ type: 'longtask' });
        const t0 = performance.now();
        let lastFrame = t0;
        let maxFrameGapMs = 0;
        location.hash = `#/trace/${id}`;
        const frame = () => {
          const now = performance.now();
          maxFrameGapMs = Math.max(maxFrameGapMs, now - lastFrame);
          lastFrame = now;
        };
        const check = () => {
          frame();
          if (document.querySelector('[role=treeitem]')) {
            // The frame after the rows exist is the one that shows them.
            requestAnimationFrame(() => {
              frame();
              setTimeout(() => {
                const openMs = performance.now() - t0;
                for (const e of observer.takeRecords()) longestTaskMs = Math.max(longestTaskMs, e.duration);
                observer.disconnect();
                resolve({ openMs, longestTaskMs, maxFrameGapMs });
              }, 0);
            });
          } else requestAnimationFrame(check);
        };
        check();
      }),
    traceId,
  );
}

function fetchFloor(page: Page, traceId: string): Promise<number> {
  return page.evaluate(async (id) => {
    const t0 = performance.now();
    const body = await (await fetch(`/api/traces/${id}`)).json();
    if (!body.spans.length) throw new Error('empty');
    return performance.now() - t0;
  }, traceId);
}

/** Peer: every span as a DOM row with its bar, no framework, no virtualisation. */
function naiveRender(page: Page, traceId: string): Promise<number> {
  return page.evaluate(async (id) => {
    const t0 = performance.now();
    const body = (await (await fetch(`/api/traces/${id}`)).json()) as {
      spans: Array<{ to: string; toEndpoint: string; startMicros: number; durationMicros: number }>;
    };
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const s of body.spans) {
      min = Math.min(min, s.startMicros);
      max = Math.max(max, s.startMicros + s.durationMicros);
    }
    const host = document.createElement('div');
    host.style.cssText = 'position:fixed;inset:0;overflow:auto;background:#fff;z-index:10';
    const frag = document.createDocumentFragment();
    for (const s of body.spans) {
      const row = document.createElement('div');
      row.style.cssText = 'display:flex;height:26px';
      const name = document.createElement('span');
      name.style.width = '38%';
      name.textContent = `${s.to}.${s.toEndpoint}`;
      const bar = document.createElement('span');
      bar.style.cssText = `margin-left:${((s.startMicros - min) / (max - min)) * 60}%;width:${Math.max(0.1, (s.durationMicros / (max - min)) * 60)}%;background:#4a8;height:14px`;
      row.append(name, bar);
      frag.append(row);
    }
    host.append(frag);
    document.body.append(host);
    host.getBoundingClientRect(); // force layout
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    const elapsed = performance.now() - t0;
    host.remove();
    return elapsed;
  }, traceId);
}

/**
 * Scrolls the timeline one step per frame; returns sorted frame intervals (ms). `stepPx`
 * undefined means "drag the scrollbar top to bottom": every frame shows entirely new rows.
 */
function scrollFrames(page: Page, frames: number, stepPx?: number): Promise<number[]> {
  return page.evaluate(
    ([n, fixedStep]) =>
      new Promise<number[]>((resolve) => {
        const el = document.querySelector('.timeline-scroll') as HTMLElement;
        el.scrollTop = 0;
        const step = fixedStep ?? (el.scrollHeight - el.clientHeight) / n;
        const intervals: number[] = [];
        let last = performance.now();
        let i = 0;
        const tick = () => {
          const now = performance.now();
          if (i > 0) intervals.push(now - last);
          last = now;
          if (i++ >= n) return resolve(intervals.sort((a, b) => a - b));
          el.scrollTop = i * step;
          requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      }),
    [frames, stepPx] as const,
  );
}

function pct(sorted: number[], q: number): string {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!.toFixed(1);
}

function clickTimed(page: Page, label: string): Promise<number> {
  return page.evaluate(
    (name) =>
      new Promise<number>((resolve) => {
        const button = [...document.querySelectorAll('button')].find((b) => b.textContent === name)!;
        const t0 = performance.now();
        button.click();
        requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - t0), 0));
      }),
    label,
  );
}

async function main(): Promise<void> {
  const markdown = process.argv.includes('--md');
  const traces = new Map<string, string>();
  for (const n of SIZES)
    traces.set(
      `t${n}`,
      JSON.stringify({ traceId: `t${n}`, spans: generateTrace({ spanCount: n, seed: n, traceId: `t${n}` }) }),
    );
  const server = await serve(traces);
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({ executablePath: await requireBackend('chromium'), args: CHROMIUM_ARGS });
  const rows: string[][] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    // tsx compiles with keepNames, so functions shipped to page.evaluate call esbuild's __name helper.
    await page.addInitScript('globalThis.__name = (fn) => fn;');
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Peer: same build and data, no Worker constructor, so trace-source.ts loads on the page.
    const pagePeer = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await pagePeer.addInitScript('globalThis.__name = (fn) => fn; delete globalThis.Worker;');
    pagePeer.on('pageerror', (e) => errors.push(e.message));
    for (const n of SIZES) {
      const id = `t${n}`;
      const open: number[] = [];
      const longestTask: number[] = [];
      const frameGap: number[] = [];
      const peerOpen: number[] = [];
      const peerLongestTask: number[] = [];
      const peerFrameGap: number[] = [];
      const floor: number[] = [];
      const naive: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        await page.goto(`${base}/#/search`);
        await page.waitForSelector('.search-form');
        const measured = await openTrace(page, id);
        open.push(measured.openMs);
        longestTask.push(measured.longestTaskMs);
        frameGap.push(measured.maxFrameGapMs);
        // Measure the loader the table names: a silent fallback to the page would look like the peer.
        if (!page.workers().some((w) => w.url().includes('trace-load.worker')))
          throw new Error('the trace was not loaded by the trace-load worker');
        await pagePeer.goto(`${base}/#/search`);
        await pagePeer.waitForSelector('.search-form');
        const peer = await openTrace(pagePeer, id);
        if (pagePeer.workers().length > 0) throw new Error('the no-worker peer started a worker');
        peerOpen.push(peer.openMs);
        peerLongestTask.push(peer.longestTaskMs);
        peerFrameGap.push(peer.maxFrameGapMs);
        floor.push(await fetchFloor(page, id));
        // The naive peer takes ~15 s at 100k spans; one sample there keeps the run under 2 minutes.
        if (r === 0 || n <= 10_000) naive.push(await naiveRender(page, id));
      }
      // Scroll and collapse on a fresh page, so garbage from the naive peer does not land in our frames.
      await page.goto(`${base}/#/search`);
      await page.waitForSelector('.search-form');
      await openTrace(page, id);
      const wheel = await scrollFrames(page, SCROLL_FRAMES, WHEEL_STEP_PX);
      const jump = await scrollFrames(page, SCROLL_FRAMES);
      const collapse = await clickTimed(page, 'Collapse all');
      const expand = await clickTimed(page, 'Expand all');
      const domRows = await page.locator('[role=treeitem]').count();
      rows.push([
        n.toLocaleString('en'),
        median(open).toFixed(0),
        median(longestTask).toFixed(0),
        median(frameGap).toFixed(0),
        median(peerOpen).toFixed(0),
        median(peerLongestTask).toFixed(0),
        median(peerFrameGap).toFixed(0),
        median(floor).toFixed(0),
        median(naive).toFixed(0),
        (median(naive) / median(open)).toFixed(1),
        pct(wheel, 0.5),
        pct(wheel, 0.95),
        pct(jump, 0.5),
        pct(jump, 0.95),
        collapse.toFixed(0),
        expand.toFixed(0),
        String(domRows),
      ]);
    }
    if (errors.length > 0) throw new Error(`page errors: ${errors.join('; ')}`);
  } finally {
    await browser.close();
    server.close();
  }
  const header = [
    'spans',
    'open ms',
    'longest task ms',
    'max frame gap ms',
    'no-worker open ms (peer)',
    'no-worker longest task ms',
    'no-worker max frame gap ms',
    'fetch+JSON ms',
    'naive DOM ms (peer)',
    'naive/open',
    'wheel frame p50 ms',
    'wheel p95 ms',
    'drag frame p50 ms',
    'drag p95 ms',
    'collapse all ms',
    'expand all ms',
    'DOM rows',
  ];
  if (markdown) {
    console.log(`| ${header.join(' | ')} |`);
    console.log(`|${header.map(() => '---').join('|')}|`);
    for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  } else {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
    console.log(line(header));
    for (const r of rows) console.log(line(r));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

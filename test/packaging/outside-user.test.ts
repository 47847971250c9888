/**
 * The packages as an outside user gets them: every publishable package is packed (`npm pack`), the tarballs
 * are installed into a temporary project outside the workspace, and everything runs with plain `node` (no
 * TypeScript loader): the installed collector's bin, an ESM and a CommonJS service instrumented through
 * `@phosphor/tracer/http` calling each other. The trace must arrive whole at the collector's API, which also
 * serves the dashboard. A second project installs only the tracer and must hold no gRPC or fastify code.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = fileURLToPath(new URL('fixtures', import.meta.url));
/**
 * The packages a user installs (service-kit only as the collector's dependency; the ID service, demo and
 * dashboard are internal to the repository, the dashboard shipping inside the collector).
 */
const PUBLISHED = [
  { name: '@phosphor/wire', dir: 'wire' },
  { name: '@phosphor/service-kit', dir: 'service-kit' },
  { name: '@phosphor/tracer', dir: 'tracer-lib' },
  { name: '@phosphor/collector', dir: 'collector' },
];
/** Any of these in a tracer-only install means a framework leaked into the core's dependencies. */
const FRAMEWORK_PACKAGES = ['@grpc/grpc-js', '@grpc/proto-loader', 'fastify', 'fastify-plugin', 'protobufjs', 'avvio'];
/** A tracer-only install is the tracer and the wire format: a few hundred KB. */
const MAX_TRACER_INSTALL_BYTES = 1_000_000;

const work = mkdtempSync(join(tmpdir(), 'phosphor-outside-user-'));
const children: ChildProcess[] = [];
const tarballs = new Map<string, string>();

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, npm_config_workspaces: undefined, npm_config_workspace: undefined },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function project(name: string, packages: string[]): string {
  const dir = join(work, name);
  cpSync(FIXTURES, dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }));
  npm(['install', '--prefer-offline', ...packages.map((p) => tarballs.get(p) as string)], dir);
  return dir;
}

function sizeOf(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, entry) => sum + sizeOf(join(path, entry)), 0);
}

function installedPackages(nodeModules: string): string[] {
  const names: string[] = [];
  for (const entry of readdirSync(nodeModules)) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) for (const sub of readdirSync(join(nodeModules, entry))) names.push(`${entry}/${sub}`);
    else names.push(entry);
  }
  return names;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts `node <script>` (no loader) in `cwd`; resolves with the first JSON line it prints that has `key`. */
function start(
  cwd: string,
  args: string[],
  env: Record<string, string>,
  key: string,
): Promise<Record<string, unknown>> {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} printed no ${key}:\n${out}\n${err}`)), 30_000);
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
    });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      for (const line of out.split('\n')) {
        try {
          const parsed = JSON.parse(line) as Record<string, unknown>;
          if (key in parsed) {
            clearTimeout(timer);
            resolve(parsed);
          }
        } catch {
          // not a JSON line (yet)
        }
      }
    });
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}:\n${out}\n${err}`)));
  });
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dashboard/dist/index.html'))) npm(['run', 'build', '-w', 'dashboard'], ROOT);
  const packed = JSON.parse(
    npm(['pack', '--json', '--pack-destination', work, ...PUBLISHED.flatMap((p) => ['-w', p.dir])], ROOT),
  ) as { name: string; filename: string; files: { path: string }[] }[];
  for (const entry of packed) {
    tarballs.set(entry.name, join(work, entry.filename));
    // The allow-lists: compiled code and what it reads at run time, never tests, benches or sources.
    for (const file of entry.files)
      expect(file.path).not.toMatch(/(^|\/)(test|bench|src\/.*\.ts$)|\.test\.|tsbuildinfo/);
  }
}, 180_000);

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name), base) : [relative(base, join(dir, entry.name))],
  );
}

/** Unpacks a tarball (npm puts its files under `package/`) and returns that folder. */
function unpack(name: string): string {
  const dir = join(work, 'unpacked', name.replace('/', '+'));
  mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['-xzf', tarballs.get(name) as string, '-C', dir]);
  return join(dir, 'package');
}

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

describe('outside user: installed tarballs, plain node', () => {
  it.each(PUBLISHED)('$name ships the MIT LICENSE and source maps that carry their sources', ({ name }) => {
    const dir = unpack(name);
    expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toBe(readFileSync(join(ROOT, 'LICENSE'), 'utf8'));
    const maps = filesUnder(dir).filter((file) => file.endsWith('.map'));
    expect(maps.filter((file) => file.endsWith('.js.map')).length).toBeGreaterThan(0);
    // A debugger resolves each source from the map's embedded text or from a file next to it; with neither,
    // stack traces and breakpoints fall back to the compiled JavaScript.
    const unreadable: string[] = [];
    for (const file of maps) {
      const map = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
        sources: string[];
        sourcesContent?: (string | null)[];
        sourceRoot?: string;
      };
      map.sources.forEach((source, i) => {
        const embedded = typeof map.sourcesContent?.[i] === 'string';
        if (!embedded && !existsSync(resolve(dir, dirname(file), map.sourceRoot ?? '', source)))
          unreadable.push(`${file}: ${source}`);
      });
    }
    expect(unreadable).toEqual([]);
  });

  it('a tracer-only install holds no gRPC or fastify code and stays small', () => {
    const dir = project('tracer-only', ['@phosphor/tracer', '@phosphor/wire']);
    const installed = installedPackages(join(dir, 'node_modules'));
    expect(installed.sort()).toEqual(['@phosphor/tracer', '@phosphor/wire']);
    for (const framework of FRAMEWORK_PACKAGES) expect(installed).not.toContain(framework);
    const bytes = sizeOf(join(dir, 'node_modules'));
    console.log(`tracer-only install: ${installed.join(', ')} — ${(bytes / 1024).toFixed(0)} KiB in node_modules`);
    expect(bytes).toBeLessThan(MAX_TRACER_INSTALL_BYTES);
    // Importing the core loads no framework (checked in a fresh process).
    const loaded = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import { createRequire } from 'node:module'; await import('@phosphor/tracer'); await import('@phosphor/tracer/http'); console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)))",
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(loaded).not.toMatch(/grpc|fastify/);
  });

  it('an ESM and a CommonJS service trace through the installed collector, which serves its dashboard', async () => {
    const dir = project('services', [
      '@phosphor/tracer',
      '@phosphor/wire',
      '@phosphor/service-kit',
      '@phosphor/collector',
    ]);
    const bin = join(dir, 'node_modules/@phosphor/collector/bin/phosphor-collector.js');

    const help = execFileSync(process.execPath, [bin, '--help'], { cwd: dir, encoding: 'utf8' });
    expect(help).toContain('PHOSPHOR_COLLECTOR_UDP_PORT');
    expect(execFileSync(process.execPath, [bin, '--version'], { cwd: dir, encoding: 'utf8' }).trim()).toBe('0.1.0');

    const [udpPort, httpPort, esmPort, cjsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    // Ports: UDP and TCP spaces differ, so a free TCP port found above is only a likely-free UDP port; the
    // collector names what it bound in its start-up log line, which is what is used below.
    const started = await start(
      dir,
      [bin, '--udp-port', String(udpPort), '--http-port', String(httpPort)],
      { PHOSPHOR_COLLECTOR_LOG_LEVEL: 'info' },
      'httpUrl',
    );
    const api = started.httpUrl as string;
    // The daemon re-executed itself in place (same pid) with its memory caps: the young generation and
    // glibc's malloc arenas.
    const collectorPid = children.at(-1)?.pid;
    expect(readFileSync(`/proc/${collectorPid}/cmdline`, 'utf8').split('\0')).toContain('--max-semi-space-size=8');
    expect(readFileSync(`/proc/${collectorPid}/environ`, 'utf8').split('\0')).toContain('MALLOC_ARENA_MAX=2');
    const common = {
      PHOSPHOR_COLLECTORS: `127.0.0.1:${started.udpPort}`,
      PHOSPHOR_FLUSH_INTERVAL_MILLIS: '50',
      ESM_URL: `http://127.0.0.1:${esmPort}`,
      CJS_URL: `http://127.0.0.1:${cjsPort}`,
    };
    await Promise.all([
      start(dir, ['esm-service.mjs'], { ...common, PHOSPHOR_SERVICE: 'esm-service', PORT: String(esmPort) }, 'port'),
      start(dir, ['cjs-service.cjs'], { ...common, PHOSPHOR_SERVICE: 'ignored', PORT: String(cjsPort) }, 'port'),
    ]);

    const reply = (await (await fetch(`${common.ESM_URL}/start`)).json()) as {
      traceId: string;
      middle: { traceId: string; leaf: { traceId: string } };
    };
    expect(reply.middle.traceId).toBe(reply.traceId);
    expect(reply.middle.leaf.traceId).toBe(reply.traceId);

    type Span = { from?: string; to: string; missing: string[]; parentSpanId?: string; spanId: string };
    let trace: { spans: Span[]; pendingSpanIds: string[] } = { spans: [], pendingSpanIds: [] };
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${api}/api/traces/${reply.traceId}`);
      if (res.ok) {
        trace = (await res.json()) as typeof trace;
        const complete = trace.spans.filter((s) => s.missing.length === 0);
        if (trace.spans.length === 3 && complete.length === 2) break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const byCallee = Object.fromEntries(trace.spans.map((s) => [`${s.from ?? ''}->${s.to}`, s]));
    // The entry request (from an untraced client: IN/OUT only), then both cross-module hops with all four events.
    expect(Object.keys(byCallee).sort()).toEqual([
      '->esm-service',
      'cjs-service->esm-service',
      'esm-service->cjs-service',
    ]);
    expect(byCallee['esm-service->cjs-service']?.missing).toEqual([]);
    expect(byCallee['cjs-service->esm-service']?.missing).toEqual([]);
    expect(byCallee['->esm-service']?.missing.sort()).toEqual(['REP', 'REQ']);
    expect(byCallee['esm-service->cjs-service']?.parentSpanId).toBe(byCallee['->esm-service']?.spanId);
    expect(byCallee['cjs-service->esm-service']?.parentSpanId).toBe(byCallee['esm-service->cjs-service']?.spanId);

    const page = await fetch(`${api}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toMatch(/<div id="root">/);
  });
});

/**
 * Fault scenario 5: bad config files and bad API parameters get clear errors naming the field.
 * The three daemons (collector, ID service, demo) are started as real processes with bad YAML files and
 * must exit non-zero with the key (or the file and line) in stderr, without listening; the collector
 * API, the ID service's HTTP and gRPC APIs and the demo gateway must answer bad parameters with 400 /
 * INVALID_ARGUMENT naming the parameter. See docs/faults.md.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { buildCollector, type Collector, loadConfig } from '@phosphor/collector';
import type { RunningDemo } from '@phosphor/demo-services';
import { createIdGeneratorClient, type IdGeneratorClient } from '@phosphor/id-generator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runToExit } from './support/child-process.js';
import { startQuietDemo } from './support/demo.js';

/** EX_CONFIG (sysexits.h): the collector's exit code for a bad config or flag. */
const COLLECTOR_EXIT_CONFIG = 78;

interface BadConfig {
  name: string;
  yaml: string;
  /** Extra command-line arguments. */
  args?: string[];
  /** Strings stderr must contain: the error code and the key (or line) at fault. */
  stderr: string[];
}

const dir = mkdtempSync(join(tmpdir(), 'phosphor-fault-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, yaml: string): string {
  const path = join(dir, `${name.replaceAll(/[^a-z0-9]+/gi, '-')}.yml`);
  writeFileSync(path, yaml);
  return path;
}

// The collector's port flags win over the file, so the port cases leave the port at fault unflagged.
const COLLECTOR_CASES: BadConfig[] = [
  { name: 'unknown key', yaml: 'udp:\n  prot: 7760\n', stderr: ['COL_ERR_CONFIG_UNKNOWN_KEY', 'udp.prot'] },
  {
    name: 'wrong type',
    yaml: 'assembly:\n  spanTimeoutMillis: soon\n',
    stderr: ['COL_ERR_CONFIG_INVALID', 'assembly.spanTimeoutMillis'],
  },
  {
    name: 'out-of-range port',
    yaml: 'udp:\n  port: 70000\n',
    args: ['--http-port', '0'],
    stderr: ['COL_ERR_CONFIG_INVALID', 'udp.port'],
  },
  { name: 'malformed YAML', yaml: 'udp:\n  port: [1, 2\n  host: x\n', stderr: ['COL_ERR_CONFIG_PARSE', 'line'] },
  {
    name: 'unknown OTLP key',
    yaml: 'otlp:\n  grpc:\n    endpoint: x\n',
    stderr: ['COL_ERR_CONFIG_UNKNOWN_KEY', 'otlp.grpc.endpoint'],
  },
  {
    name: 'OTLP export without a usable endpoint',
    yaml: 'otlpExport:\n  enabled: true\n  endpoint: ftp://x\n',
    stderr: ['COL_ERR_CONFIG_INVALID', 'otlpExport.endpoint'],
  },
  {
    name: 'bad flag value',
    yaml: 'logging:\n  level: silent\n',
    args: ['--udp-port', 'seven'],
    stderr: ['COL_ERR_CLI_ARGS', '--udp-port'],
  },
];

const ID_SERVICE_CASES: BadConfig[] = [
  {
    name: 'unknown key',
    yaml: 'service:\n  nmae: x\n',
    stderr: ['IDG_ERR_CONFIG_INVALID', 'service.nmae: unknown key'],
  },
  { name: 'wrong type', yaml: 'ids:\n  nodeId: one\n', stderr: ['IDG_ERR_CONFIG_INVALID', 'ids.nodeId'] },
  {
    name: 'out-of-range port',
    yaml: 'service:\n  httpHostPort: 127.0.0.1:70000\n',
    stderr: ['IDG_ERR_CONFIG_INVALID', 'service.httpHostPort'],
  },
  // Regression: malformed YAML used to surface as a bare parser message, without the code or the file.
  { name: 'malformed YAML', yaml: 'ids:\n  nodeId: [1\n', stderr: ['IDG_ERR_CONFIG_INVALID', '.yml', 'line'] },
];

const DEMO_CASES: BadConfig[] = [
  {
    name: 'unknown key',
    yaml: 'gateway:\n  htpPort: 1\n',
    stderr: ['DEMO_ERR_CONFIG_INVALID', 'gateway.htpPort: unknown key'],
  },
  { name: 'wrong type', yaml: 'quote:\n  errorRate: lots\n', stderr: ['DEMO_ERR_CONFIG_INVALID', 'quote.errorRate'] },
  {
    name: 'out-of-range port',
    yaml: 'gateway:\n  httpPort: 70000\n',
    stderr: ['DEMO_ERR_CONFIG_INVALID', 'gateway.httpPort'],
  },
  // Regression: malformed YAML used to surface as a bare parser message, without the code or the file.
  { name: 'malformed YAML', yaml: 'quote: {errorRate: 0.1\n', stderr: ['DEMO_ERR_CONFIG_INVALID', '.yml', 'line'] },
];

describe('bad config files: the daemons refuse to start and name the field', () => {
  it.each(COLLECTOR_CASES)('collector daemon: $name', async ({ name, yaml, args, stderr }) => {
    const path = file(`collector-${name}`, yaml);
    const result = await runToExit('collector/dist/main.js', ['--config', path, ...(args ?? [])]);
    expect(result.code, result.stderr).toBe(COLLECTOR_EXIT_CONFIG);
    for (const text of stderr) expect(result.stderr).toContain(text);
    expect(result.stdout).not.toContain('listening');
  });

  it.each(ID_SERVICE_CASES)('ID service main: $name', async ({ name, yaml, stderr }) => {
    const path = file(`id-${name}`, yaml);
    const result = await runToExit('services/id-generator/dist/main.js', ['--config-file', path]);
    expect(result.code, result.stderr).toBe(1);
    for (const text of stderr) expect(result.stderr).toContain(text);
    if (name === 'malformed YAML') expect(result.stderr).toContain(path);
    expect(result.stderr).not.toContain('id-generator: HTTP');
  });

  it.each(DEMO_CASES)('demo main: $name', async ({ name, yaml, stderr }) => {
    const path = file(`demo-${name}`, yaml);
    const result = await runToExit('services/demo/dist/main.js', ['--config-file', path]);
    expect(result.code, result.stderr).toBe(1);
    for (const text of stderr) expect(result.stderr).toContain(text);
    // Regression: errors named "startDemo options" instead of the file.
    expect(result.stderr).toContain(path);
    expect(result.stderr).not.toContain('demo: gateway');
  });
});

describe('bad API parameters: 400 / INVALID_ARGUMENT naming the parameter', () => {
  let collector: Collector;
  let demo: RunningDemo;
  let grpc: IdGeneratorClient;

  beforeAll(async () => {
    collector = await buildCollector(
      loadConfig({
        values: {
          udp: { port: 0 },
          http: { port: 0 },
          otlp: { http: { enabled: false }, grpc: { enabled: false } },
          logging: { level: 'silent' },
        },
      }),
    );
    await collector.start();
    demo = await startQuietDemo(collector.addresses!.udpPort);
    grpc = createIdGeneratorClient(demo.urls.idGrpc);
  });

  afterAll(async () => {
    grpc?.close();
    await demo?.close();
    await collector?.close();
  });

  const COLLECTOR_PARAMS: { path: string; param: string }[] = [
    { path: '/api/traces?limit=0', param: 'limit' },
    { path: '/api/traces?limit=abc', param: 'limit' },
    { path: '/api/traces?minDurationMicros=-5', param: 'minDurationMicros' },
    { path: '/api/traces?error=maybe', param: 'error' },
    { path: '/api/traces?tag=no-colon', param: 'tag' },
    { path: '/api/traces?colour=red', param: 'colour' },
    { path: '/api/traces/bad%24id', param: 'traceId' },
    { path: `/api/traces/${'1'.repeat(65)}`, param: 'traceId' },
    { path: '/api/aggregates?window=7m', param: 'window' },
    { path: '/api/tail?error=sometimes', param: 'error' },
  ];

  it.each(COLLECTOR_PARAMS)('collector API $path → 400 naming $param', async ({ path, param }) => {
    const res = await fetch(`${collector.addresses!.httpUrl}${path}`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string; param?: string };
    expect(body.code).toBe('COL_ERR_API_BAD_PARAM');
    expect(body.param).toBe(param);
    expect(body.message).toContain(param);
  });

  const ID_HTTP: { name: string; method: string; path: string; body?: string; field: string }[] = [
    { name: 'batch count 0', method: 'POST', path: '/ids', body: '{"count":0}', field: 'body.count' },
    { name: 'batch count too large', method: 'POST', path: '/ids', body: '{"count":1000000}', field: 'body.count' },
    { name: 'batch count a string', method: 'POST', path: '/ids', body: '{"count":"many"}', field: 'body.count' },
    { name: 'unknown body field', method: 'POST', path: '/ids', body: '{"count":1,"colour":"red"}', field: 'colour' },
    { name: 'decode a non-id', method: 'GET', path: '/decode/not-an-id', field: 'params.id' },
    { name: 'decode beyond 64 bits', method: 'GET', path: '/decode/99999999999999999999', field: 'params.id' },
  ];

  it.each(ID_HTTP)('ID service HTTP: $name → 400 naming $field', async ({ method, path, body, field }) => {
    const res = await fetch(`${demo.urls.idHttp}${path}`, {
      method,
      ...(body ? { body, headers: { 'content-type': 'application/json' } } : {}),
    });
    expect(res.status).toBe(400);
    const answer = (await res.json()) as { code: string; message: string };
    expect(answer.code).toBe('IDG_ERR_INPUT_INVALID');
    expect(answer.message).toContain(field);
  });

  const ID_GRPC: { name: string; call: (c: IdGeneratorClient) => Promise<unknown>; field: string }[] = [
    { name: 'NextIDs count 0', call: (c) => c.nextIds(0), field: 'count' },
    { name: 'NextIDs count too large', call: (c) => c.nextIds(1_000_000), field: 'count' },
    { name: 'Decode a non-id', call: (c) => c.decode('not-an-id'), field: 'id' },
  ];

  it.each(ID_GRPC)('ID service gRPC: $name → INVALID_ARGUMENT naming $field', async ({ call, field }) => {
    const error = await call(grpc).then(
      () => undefined,
      (e: unknown) => e as { code: number; details: string },
    );
    expect(error?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(error?.details).toContain('IDG_ERR_INPUT_INVALID');
    expect(error?.details).toContain(field);
  });

  const GATEWAY: { path: string; field: string }[] = [
    { path: '/quote/acme', field: 'symbol' },
    { path: '/quote/ACME?quantity=0', field: 'quantity' },
    { path: '/basket', field: 'symbols' },
    { path: '/basket?symbols=ACME,bad!', field: 'query.symbols[1]' },
  ];

  it.each(GATEWAY)('demo gateway $path → 400 naming $field', async ({ path, field }) => {
    const res = await fetch(`${demo.urls.gateway}${path}`);
    expect(res.status).toBe(400);
    const answer = (await res.json()) as { code: string; message: string };
    expect(answer.code).toBe('DEMO_ERR_INPUT_INVALID');
    expect(answer.message).toContain(field);
  });
});

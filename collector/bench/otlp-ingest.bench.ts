/**
 * OTLP ingest cost: `node --import tsx collector/bench/otlp-ingest.bench.ts`.
 *
 * The same hops, with fresh ids every request, enter one collector three ways in the same run:
 *   1. Phosphor datagrams (4 events per hop, ≤ 12 events per datagram) through `collector.ingest`;
 *   2. OTLP/protobuf ExportTraceServiceRequests (a CLIENT and a SERVER span per hop, 256 hops =
 *      512 spans per request, BatchSpanProcessor's default batch) handed to the OTLP ingest
 *      in-process (decode, validate, parent resolution, mapping, assembly, store, aggregates);
 *   3. the same requests POSTed to the OTLP/HTTP listener over loopback, one at a time.
 * Request and datagram bytes are built before timing (the sender's cost is not the collector's).
 * Prints µs of collector time per hop and the ratio of each OTLP path to the datagram path.
 */
import type { TraceEvent } from '@phosphor/wire';
import { encodeBatch } from '../../wire/test/support/reference-encoder.js';
import { buildCollector, type Collector } from '../src/app.js';
import { loadConfig } from '../src/config/load-config.js';
import { ExportTraceServiceRequest } from '../src/otlp/otlp-schema.js';

const HOPS_PER_REQUEST = 256;
const REQUESTS = Number(process.env.BENCH_OTLP_REQUESTS ?? 200);
const EVENTS_PER_DATAGRAM = 12;
const WARMUP_REQUESTS = 20;

let idCounter = 0;
function hex(bytes: number): string {
  idCounter++;
  return (idCounter.toString(16) + Math.random().toString(16).slice(2)).padStart(bytes * 2, '0').slice(-bytes * 2);
}

interface Hop {
  traceHex: string;
  clientId: string;
  serverId: string;
  startMicros: number;
}

function freshHops(): Hop[] {
  const now = Date.now() * 1000;
  return Array.from({ length: HOPS_PER_REQUEST }, (_, i) => ({
    traceHex: `0000000000000000${hex(8)}`,
    clientId: hex(8),
    serverId: hex(8),
    startMicros: now + i,
  }));
}

function otlpRequest(hops: Hop[]): Buffer {
  const ns = (micros: number) => String(BigInt(micros) * 1000n);
  const resource = (service: string, spans: unknown[]) => ({
    resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
    scopeSpans: [{ spans }],
  });
  const attrs = [
    { key: 'http.request.method', value: { stringValue: 'GET' } },
    { key: 'http.route', value: { stringValue: '/items/:id' } },
  ];
  const client = hops.map((h) => ({
    traceId: Buffer.from(h.traceHex, 'hex'),
    spanId: Buffer.from(h.clientId, 'hex'),
    name: 'GET',
    kind: 3,
    startTimeUnixNano: ns(h.startMicros),
    endTimeUnixNano: ns(h.startMicros + 900),
    attributes: [...attrs, { key: 'peer.service', value: { stringValue: 'backend' } }],
  }));
  const server = hops.map((h) => ({
    traceId: Buffer.from(h.traceHex, 'hex'),
    spanId: Buffer.from(h.serverId, 'hex'),
    parentSpanId: Buffer.from(h.clientId, 'hex'),
    name: 'GET /items/:id',
    kind: 2,
    startTimeUnixNano: ns(h.startMicros + 100),
    endTimeUnixNano: ns(h.startMicros + 800),
    attributes: attrs,
  }));
  const object = { resourceSpans: [resource('frontend', client), resource('backend', server)] };
  return Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(object)).finish());
}

function datagrams(hops: Hop[]): Buffer[] {
  const events: TraceEvent[] = [];
  for (const h of hops) {
    const traceId = BigInt(`0x${h.traceHex.slice(16)}`).toString();
    const base = {
      traceId,
      spanId: h.clientId,
      from: 'frontend',
      fromEndpoint: 'GET /home',
      to: 'backend',
      toEndpoint: 'GET /items/:id',
      tags: { 'http.request.method': 'GET', 'http.route': '/items/:id' },
    };
    events.push(
      { ...base, type: 'REQ', timestampMicros: h.startMicros, hostname: 'a' },
      { ...base, type: 'IN', timestampMicros: h.startMicros + 100, hostname: 'b' },
      { ...base, type: 'OUT', timestampMicros: h.startMicros + 800, hostname: 'b', durationMicros: 700 },
      { ...base, type: 'REP', timestampMicros: h.startMicros + 900, hostname: 'a', durationMicros: 900 },
    );
  }
  const out: Buffer[] = [];
  for (let i = 0; i < events.length; i += EVENTS_PER_DATAGRAM) {
    out.push(
      encodeBatch({
        tracerId: 'bench',
        sequence: out.length,
        service: 'frontend',
        hostname: 'a',
        sentAtMicros: Date.now() * 1000,
        drops: { bufferFull: 0, tooLarge: 0, sendError: 0, sampledOut: 0 },
        events: events.slice(i, i + EVENTS_PER_DATAGRAM),
      }),
    );
  }
  return out;
}

async function newCollector(): Promise<Collector> {
  const collector = await buildCollector(
    loadConfig({
      values: {
        udp: { port: 0 },
        http: { port: 0 },
        otlp: { http: { port: 0 }, grpc: { enabled: false } },
        logging: { level: 'silent' },
        dashboard: { distDir: '/nonexistent-dashboard' },
      },
    }),
  );
  await collector.start();
  return collector;
}

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

async function main(): Promise<void> {
  const rounds = Array.from({ length: REQUESTS + WARMUP_REQUESTS }, () => freshHops());
  const requests = rounds.map(otlpRequest);
  const grams = rounds.map(datagrams);
  const hops = REQUESTS * HOPS_PER_REQUEST;
  const results: { path: string; micros: number }[] = [];

  {
    const c = await newCollector();
    for (let i = 0; i < WARMUP_REQUESTS; i++) for (const d of grams[i] as Buffer[]) c.ingest(d);
    const t0 = cpuMicros();
    for (let i = WARMUP_REQUESTS; i < rounds.length; i++) for (const d of grams[i] as Buffer[]) c.ingest(d);
    results.push({ path: 'Phosphor datagrams (collector.ingest)', micros: cpuMicros() - t0 });
    await c.close();
  }
  {
    const c = await newCollector();
    for (let i = 0; i < WARMUP_REQUESTS; i++) c.otlp.ingest.handle(requests[i] as Buffer, 'protobuf', 'http');
    const t0 = cpuMicros();
    for (let i = WARMUP_REQUESTS; i < rounds.length; i++)
      c.otlp.ingest.handle(requests[i] as Buffer, 'protobuf', 'http');
    results.push({ path: 'OTLP/protobuf in-process (ingest.handle)', micros: cpuMicros() - t0 });
    if (c.otlp.stats().acceptedSpans !== rounds.length * HOPS_PER_REQUEST * 2) throw new Error('spans were rejected');
    await c.close();
  }
  {
    const c = await newCollector();
    const url = `http://127.0.0.1:${c.addresses?.otlpHttpPort}/v1/traces`;
    const post = (body: Buffer) =>
      fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } }).then((r) =>
        r.arrayBuffer(),
      );
    for (let i = 0; i < WARMUP_REQUESTS; i++) await post(requests[i] as Buffer);
    const t0 = cpuMicros();
    for (let i = WARMUP_REQUESTS; i < rounds.length; i++) await post(requests[i] as Buffer);
    // Client and server share the process: this is the CPU of both ends of the HTTP exchange.
    results.push({ path: 'OTLP/HTTP loopback (client + server CPU)', micros: cpuMicros() - t0 });
    await c.close();
  }

  const base = results[0]?.micros ?? 1;
  console.log(`node ${process.version}, ${hops} hops (${hops * 2} OTel spans / ${hops * 4} events) per path`);
  console.log('| path | CPU µs per hop | ratio to datagrams |');
  console.log('| --- | --- | --- |');
  for (const r of results) {
    console.log(`| ${r.path} | ${(r.micros / hops).toFixed(2)} | ${(r.micros / base).toFixed(2)} |`);
  }
}

await main();

/**
 * Cost of one RPC hop with the Phosphor tracer against OpenTelemetry JS SDK 2.x, in one process run.
 * Fair units: one hop is two OpenTelemetry spans (the caller's CLIENT span and the callee's SERVER
 * span), against Phosphor's four events (REQ, IN, OUT, REP). Every hop is built afresh — new trace
 * and span ids, fresh timestamps — through the same code the instrumentation runs (hop.ts with
 * prebuilt per-endpoint attribute sets; OTel spans with the same semantic-convention attributes).
 *
 *   (a) hot path: the synchronous recording calls only. Phosphor records into its ring; OTel's
 *       BatchSpanProcessor queues for a no-op exporter.
 *   (b) full pipeline: CPU of this process per hop including the background work — Phosphor encoding
 *       and sending UDP datagrams to a receiver process; OTel's BatchSpanProcessor with the OTLP/proto
 *       HTTP exporter (@opentelemetry/exporter-trace-otlp-proto) posting to a local sink process.
 *
 * Then the event-loop delay of a service recording hops while its collector is reachable, on a dead
 * port, and unresolvable, and the encoder comparison.
 *
 * Run: npm run bench:tracer   (≈ 1–2 minutes). Knobs for iterating (not for recorded figures):
 * BENCH_ROUNDS, BENCH_HOPS_PER_ROUND, BENCH_DATAGRAM_BYTES. BENCH_HOT_CLOCK=auto|cpu|wall: the hot path
 * by main-thread CPU or by the monotonic clock; auto (default) probes whether this kernel's thread CPU
 * time is tick-sampled and then uses the monotonic clock (see hotClockNs).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { AppendStatus, DatagramWriter } from '@phosphor/wire';
import { encodeDatagram, encodeEvent } from '../../wire/test/support/reference-encoder.js';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_SCHEME,
  createTracer,
  type IncomingTrace,
  type TraceEvent,
  type Tracer,
} from '../src/index.js';
import { beginClientHop, beginServerHop, endClientHop, endServerHop } from '../src/instrument/hop.js';

/** Hops per timed round; rounds alternate between peers so machine noise hits all of them alike. */
const HOPS_PER_ROUND = Number(process.env.BENCH_HOPS_PER_ROUND ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/**
 * Hops recorded between yields to the event loop, so background flushes and exports run as in a
 * service (where a turn of the loop handles a request or a few, not thousands of hops).
 */
const HOPS_PER_TICK = 100;
/** Duration of each event-loop delay scenario. */
const DELAY_SCENARIO_MILLIS = 3_000;

// ---- receivers in their own processes, so their cost is not counted --------------------------------
// A 4 MiB receive buffer (the usual net.core.rmem_max; the kernel clamps to it): with the default
// ~208 KiB (a dozen 16 KiB datagrams) the receiver lost 3–7 % of a burst while the sender counted none.
const UDP_RECEIVER_SOURCE = `
const dgram = require('node:dgram');
const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
let datagrams = 0, bytes = 0;
socket.on('message', (m) => { datagrams++; bytes += m.length; });
socket.bind(0, '127.0.0.1', () => process.send({ port: socket.address().port }));
process.on('message', () => process.send({ datagrams, bytes }));
process.on('disconnect', () => process.exit(0));
`;

/** An OTLP/HTTP sink: accepts every export with an empty ExportTraceServiceResponse. */
const OTLP_SINK_SOURCE = `
const http = require('node:http');
let requests = 0, bytes = 0;
const server = http.createServer((req, res) => {
  req.on('data', (d) => { bytes += d.length; });
  req.on('end', () => { requests++; res.writeHead(200, { 'content-type': 'application/x-protobuf' }); res.end(); });
});
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', () => process.send({ datagrams: requests, bytes }));
process.on('disconnect', () => process.exit(0));
`;

interface Child {
  child: ChildProcess;
  port: number;
  counts(): Promise<{ datagrams: number; bytes: number }>;
}

async function startChild(source: string): Promise<Child> {
  const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve) =>
    child.once('message', (m) => resolve((m as { port: number }).port)),
  );
  return {
    child,
    port,
    counts: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve(m as { datagrams: number; bytes: number }));
        child.send('count');
      }),
  };
}

// ---- peers ---------------------------------------------------------------------------------------
interface Peer {
  name: string;
  /** Records `count` hops synchronously. */
  record(count: number): void;
  /** Lets background work finish (flush / force-flush). */
  settle(): Promise<void>;
}

/** The bench's hop: gateway calls quote's GET /price/:sku on 127.0.0.1:8080, status 200. */
const CALLEE = 'quote';
const ENDPOINT = 'GET /price/:sku';
const ADDRESS = '127.0.0.1';
const PORT = 8080;

/** The loop alone: what every peer's numbers include besides tracing. */
function baselinePeer(): Peer {
  return { name: 'baseline (loop only)', record() {}, settle: async () => {} };
}

/** What the fetch client and fastify server instrumentation do per hop, minus header I/O. */
function phosphorPeer(name: string, tracer: Tracer): Peer {
  const policy = tracer.attributes;
  // Built once per endpoint, as the instrumentation's caches do.
  const clientAttributes = policy.attributeSet(
    [
      [ATTR_HTTP_REQUEST_METHOD, 'GET'],
      [ATTR_URL_SCHEME, 'http'],
      [ATTR_SERVER_ADDRESS, ADDRESS],
      [ATTR_SERVER_PORT, PORT],
    ],
    ATTR_HTTP_RESPONSE_STATUS_CODE,
  );
  const serverAttributes = policy.attributeSet(
    [
      [ATTR_HTTP_REQUEST_METHOD, 'GET'],
      [ATTR_HTTP_ROUTE, '/price/:sku'],
      [ATTR_URL_SCHEME, 'http'],
      [ATTR_SERVER_ADDRESS, ADDRESS],
      [ATTR_SERVER_PORT, PORT],
    ],
    ATTR_HTTP_RESPONSE_STATUS_CODE,
  );
  return {
    name,
    record(count) {
      for (let i = 0; i < count; i++) {
        const client = beginClientHop(tracer, CALLEE, ENDPOINT, clientAttributes);
        // What extractTrace hands the callee from the propagated headers.
        const incoming: IncomingTrace = {
          traceId: client.traceId,
          hopSpanId: client.spanId,
          parentSpanId: client.parentSpanId,
          sampled: client.sampled,
          persistent: client.persistent,
        };
        const server = beginServerHop(tracer, incoming, ENDPOINT, serverAttributes);
        endServerHop(tracer, server, undefined, 200);
        endClientHop(tracer, client, undefined, 200);
      }
    },
    settle: () => tracer.flush(),
  };
}

/** Counts what the wrapped exporter accepted and refused. */
class CountingExporter implements SpanExporter {
  exported = 0;
  failed = 0;
  constructor(private readonly inner: SpanExporter | undefined) {}
  export(spans: ReadableSpan[], done: (result: { code: number; error?: Error }) => void): void {
    if (this.inner === undefined) {
      this.exported += spans.length;
      done({ code: 0 });
      return;
    }
    this.inner.export(spans, (result) => {
      if (result.code === 0) this.exported += spans.length;
      else this.failed += spans.length;
      done(result);
    });
  }
  shutdown(): Promise<void> {
    return this.inner?.shutdown() ?? Promise.resolve();
  }
}

/** Two OTel spans per hop with the same attributes; `inner` undefined = no-op exporter. */
function otelPeer(name: string, inner: SpanExporter | undefined): Peer & { exporter: CountingExporter } {
  const exporter = new CountingExporter(inner);
  // BatchSpanProcessor defaults except a queue big enough that no span is dropped, so OTel is
  // measured doing all its work, like Phosphor (drops would flatter it).
  const processor = new BatchSpanProcessor(exporter, { maxQueueSize: 65_536, maxExportBatchSize: 512 });
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  const tracer = provider.getTracer('bench');
  return {
    name,
    exporter,
    record(count) {
      for (let i = 0; i < count; i++) {
        const client = tracer.startSpan(ENDPOINT, {
          kind: SpanKind.CLIENT,
          attributes: {
            [ATTR_HTTP_REQUEST_METHOD]: 'GET',
            [ATTR_URL_SCHEME]: 'http',
            [ATTR_SERVER_ADDRESS]: ADDRESS,
            [ATTR_SERVER_PORT]: PORT,
          },
        });
        const parent = trace.setSpanContext(ROOT_CONTEXT, client.spanContext());
        const server = tracer.startSpan(
          ENDPOINT,
          {
            kind: SpanKind.SERVER,
            attributes: {
              [ATTR_HTTP_REQUEST_METHOD]: 'GET',
              [ATTR_HTTP_ROUTE]: '/price/:sku',
              [ATTR_URL_SCHEME]: 'http',
              [ATTR_SERVER_ADDRESS]: ADDRESS,
              [ATTR_SERVER_PORT]: PORT,
            },
          },
          parent,
        );
        server.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, 200);
        server.end();
        client.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, 200);
        client.end();
      }
    },
    settle: () => processor.forceFlush(),
  };
}

interface Round {
  /** Synchronous recording per hop: main-thread CPU ns where Node can tell (≥ 23.9), else wall ns. */
  hotNs: number;
  /** CPU of this process per hop, background work included. */
  cpuNs: number;
}

/**
 * Main-thread CPU time in µs (`process.threadCpuUsage`, Node ≥ 23.9): on a shared, loaded machine
 * wall time also counts the time the thread waited for a core, which is noise, not cost. Where the
 * kernel advances a thread's CPU time only at scheduler ticks (a 25 µs loop reads 0 or ≈ 1 ms), a
 * 100-hop chunk is mostly read as 0 or a whole tick: right on average, but a round's median moves by
 * several times between runs. So by default (BENCH_HOT_CLOCK=auto) the clock is probed first and the
 * monotonic clock used where it is tick-sampled; BENCH_HOT_CLOCK=cpu or =wall forces one.
 */
const HOT_CLOCK_CHOICE = process.env.BENCH_HOT_CLOCK ?? 'auto';
if (!['auto', 'cpu', 'wall'].includes(HOT_CLOCK_CHOICE)) {
  throw new Error(`BENCH_HOT_CLOCK: expected auto, cpu or wall (got "${HOT_CLOCK_CHOICE}")`);
}
const nodeThreadCpuUsage = (process as unknown as { threadCpuUsage?: () => { user: number; system: number } })
  .threadCpuUsage;

/** Share of 200 readings around a 25 µs busy loop that the thread CPU clock reads as no time at all. */
function zeroReadingsOfThreadCpu(read: () => { user: number; system: number }): number {
  let zeros = 0;
  for (let i = 0; i < 200; i++) {
    const before = read.call(process);
    const until = performance.now() + 0.025;
    while (performance.now() < until) {
      // busy: the probe needs CPU time to pass
    }
    const after = read.call(process);
    if (after.user + after.system === before.user + before.system) zeros++;
  }
  return zeros / 200;
}

const threadCpuZeroShare =
  HOT_CLOCK_CHOICE === 'auto' && nodeThreadCpuUsage ? zeroReadingsOfThreadCpu(nodeThreadCpuUsage) : 0;
const threadCpuUsage = HOT_CLOCK_CHOICE === 'wall' || threadCpuZeroShare >= 0.5 ? undefined : nodeThreadCpuUsage;
const HOT_CLOCK = threadCpuUsage ? 'main-thread CPU' : 'wall';
if (threadCpuZeroShare >= 0.5) {
  console.log(
    `hot path timed by the wall clock: this kernel's thread CPU clock read ${Math.round(threadCpuZeroShare * 100)} % of 25 µs busy loops as 0 (tick-sampled)`,
  );
}

function hotClockNs(): number {
  if (threadCpuUsage) {
    const usage = threadCpuUsage.call(process);
    return (usage.user + usage.system) * 1000;
  }
  return Number(process.hrtime.bigint());
}

async function timeRound(peer: Peer, hops: number): Promise<Round> {
  let hot = 0;
  const cpuBefore = process.cpuUsage();
  for (let done = 0; done < hops; done += HOPS_PER_TICK) {
    const t0 = hotClockNs();
    peer.record(HOPS_PER_TICK);
    hot += hotClockNs() - t0;
    await yieldToLoop();
  }
  await peer.settle();
  const cpu = process.cpuUsage(cpuBefore);
  return { hotNs: hot / hops, cpuNs: ((cpu.user + cpu.system) * 1000) / hops };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const TRACE_ID = '397237206544449536';
const PARENT = '1111111111111111';

// ---- encoders: protobufjs (the wire package's reference encoder) vs the hand-written DatagramWriter -------------------------
function encoderComparison(): { protobufjsNs: number; writerNs: number } {
  const event: TraceEvent = {
    type: 'OUT',
    traceId: TRACE_ID,
    spanId: '00f067aa0ba902b7',
    parentSpanId: PARENT,
    from: '',
    fromEndpoint: '',
    to: 'quote',
    toEndpoint: 'GET /price/:sku',
    timestampMicros: 1_763_700_000_123_456,
    hostname: 'host-a',
    durationMicros: 5590,
    flags: 1,
  };
  const header = {
    tracerId: 'a1b2c3d4e5f60718',
    sequence: 0,
    service: 'quote',
    hostname: 'host-a',
    drops: { bufferFull: 0, tooLarge: 0, sendError: 0, sampledOut: 0 },
    sentAtMicros: 1,
  };
  const perDatagram = 60;
  const writer = new DatagramWriter({
    maxDatagramBytes: 8192,
    tracerId: header.tracerId,
    service: 'quote',
    hostname: 'host-a',
  });
  const run = (events: number) => {
    let t0 = process.hrtime.bigint();
    for (let i = 0; i < events; i += perDatagram) {
      const frames: Uint8Array[] = [];
      for (let j = 0; j < perDatagram; j++) frames.push(encodeEvent(event));
      encodeDatagram(header, frames);
    }
    const protobufjsNs = Number(process.hrtime.bigint() - t0) / events;
    t0 = process.hrtime.bigint();
    for (let i = 0; i < events; i++) {
      if (writer.append(event) === AppendStatus.full) {
        writer.finish(i, header.drops, 1);
        writer.append(event);
      }
    }
    return { protobufjsNs, writerNs: Number(process.hrtime.bigint() - t0) / events };
  };
  run(60_000);
  const rounds = [run(300_000), run(300_000), run(300_000)];
  return { protobufjsNs: median(rounds.map((r) => r.protobufjsNs)), writerNs: median(rounds.map((r) => r.writerNs)) };
}

// ---- event-loop delay -----------------------------------------------------------------------------
async function loopDelay(
  collector: string,
): Promise<{ p50: number; p99: number; max: number; stats: ReturnType<Tracer['stats']> }> {
  const tracer = createTracer({ service: 'gateway', collectors: [collector], flushIntervalMillis: 100 });
  const peer = phosphorPeer('delay', tracer);
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  // A busy service: 100 hops (400 events) every millisecond ≈ 400k events/s offered.
  const timer = setInterval(() => peer.record(100), 1);
  await new Promise((r) => setTimeout(r, 500));
  histogram.enable();
  await new Promise((r) => setTimeout(r, DELAY_SCENARIO_MILLIS));
  histogram.disable();
  clearInterval(timer);
  await tracer.close();
  const ms = (ns: number) => ns / 1e6;
  return {
    p50: ms(histogram.percentile(50)),
    p99: ms(histogram.percentile(99)),
    max: ms(histogram.max),
    stats: tracer.stats(),
  };
}

async function main(): Promise<void> {
  const receiver = await startChild(UDP_RECEIVER_SOURCE);
  const sink = await startChild(OTLP_SINK_SOURCE);
  process.on('exit', () => {
    receiver.child.kill();
    sink.child.kill();
  });
  const udpAddress = `127.0.0.1:${receiver.port}`;
  // The tracer's defaults; BENCH_DATAGRAM_BYTES (for iterating, not for recorded figures) overrides the
  // loopback datagram size.
  const datagramBytes = process.env.BENCH_DATAGRAM_BYTES ? Number(process.env.BENCH_DATAGRAM_BYTES) : undefined;
  const phosphor = createTracer({
    service: 'gateway',
    collectors: [udpAddress],
    ...(datagramBytes === undefined ? {} : { maxDatagramBytes: datagramBytes }),
  });
  const otelHot = otelPeer('OTel 2 spans, no-op exporter', undefined);
  const otelFull = otelPeer(
    'OTel 2 spans, OTLP/proto HTTP',
    // forceFlush exports the whole queue at once (65,536 / 512 = 128 requests): past the exporter's
    // default limit of 30 concurrent exports the rest would fail and OTel would be measured doing less.
    new OTLPTraceExporter({ url: `http://127.0.0.1:${sink.port}/v1/traces`, concurrencyLimit: 256 }),
  );
  const peers: Peer[] = [baselinePeer(), phosphorPeer('Phosphor hop (4 events, UDP)', phosphor), otelHot, otelFull];
  const results = new Map<string, Round[]>(peers.map((p) => [p.name, []]));

  for (const peer of peers) await timeRound(peer, 20_000); // warm-up: JIT, sockets, pools
  for (let round = 0; round < ROUNDS; round++) {
    for (const peer of peers) results.get(peer.name)?.push(await timeRound(peer, HOPS_PER_ROUND));
  }
  await phosphor.close();
  const sent = phosphor.stats();
  await new Promise((r) => setTimeout(r, 300));
  const received = await receiver.counts();
  const posted = await sink.counts();

  const row = (peer: Peer) => {
    const rounds = results.get(peer.name) as Round[];
    const hot = rounds.map((r) => r.hotNs);
    const cpu = rounds.map((r) => r.cpuNs);
    return { name: peer.name, hot: median(hot), cpu: median(cpu), hotRange: range(hot), cpuRange: range(cpu) };
  };
  const [base, ours, hot, full] = peers.map(row) as [
    ReturnType<typeof row>,
    ReturnType<typeof row>,
    ReturnType<typeof row>,
    ReturnType<typeof row>,
  ];
  console.log(
    `node ${process.version}, ${ROUNDS} rounds × ${HOPS_PER_ROUND} hops, ${HOPS_PER_TICK} hops per event-loop turn; per hop = 4 Phosphor events = 2 OTel spans; median [min–max] of the rounds`,
  );
  console.log(`| peer | hot path ns/hop (${HOT_CLOCK}) | CPU ns/hop incl. background (process) |`);
  console.log('|---|---:|---:|');
  for (const r of [base, ours, hot, full]) {
    console.log(`| ${r.name} | ${r.hot.toFixed(0)} [${r.hotRange}] | ${r.cpu.toFixed(0)} [${r.cpuRange}] |`);
  }
  console.log(
    `Phosphor sent ${sent.sentEvents} events in ${sent.sentDatagrams} datagrams (receiver got ${received.datagrams}); dropped ${JSON.stringify(sent.droppedEvents)}`,
  );
  console.log(
    `OTel no-op exporter took ${otelHot.exporter.exported} spans; OTLP exporter delivered ${otelFull.exporter.exported} spans (${otelFull.exporter.failed} failed) in ${posted.datagrams} requests, ${(posted.bytes / 1e6).toFixed(1)} MB`,
  );
  // Net of the loop's own cost (the baseline), so the ratio compares tracing work only.
  const hotRatio = (hot.hot - base.hot) / (ours.hot - base.hot);
  const fullRatio = (full.cpu - base.cpu) / (ours.cpu - base.cpu);
  console.log(
    `\nOTel / Phosphor per hop, net of the baseline: hot path ${hotRatio.toFixed(1)}× (target ≥ 10×), ` +
      `full pipeline CPU ${fullRatio.toFixed(1)}× (target ≥ 6×); gross: hot ${(hot.hot / ours.hot).toFixed(1)}×, full ${(full.cpu / ours.cpu).toFixed(1)}×`,
  );

  const encoders = encoderComparison();
  console.log(
    `\nEncoding one event into a datagram: protobufjs ${encoders.protobufjsNs.toFixed(0)} ns, DatagramWriter ${encoders.writerNs.toFixed(0)} ns (${(encoders.protobufjsNs / encoders.writerNs).toFixed(1)}× faster)`,
  );

  const scenarios: [string, string][] = [
    ['reachable collector', udpAddress],
    ['dead port', '127.0.0.1:9'],
    ['unresolvable host', 'collector.phosphor.invalid:7760'],
  ];
  console.log(
    `\nEvent-loop delay while recording 100 hops/ms for ${DELAY_SCENARIO_MILLIS / 1000} s (monitorEventLoopDelay, ms)`,
  );
  console.log('| collector | p50 | p99 | max | recorded | sent | dropped (bufferFull / sendError) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const [name, address] of scenarios) {
    const d = await loopDelay(address);
    console.log(
      `| ${name} | ${d.p50.toFixed(2)} | ${d.p99.toFixed(2)} | ${d.max.toFixed(2)} | ${d.stats.recordedEvents} | ${d.stats.sentEvents} | ${d.stats.droppedEvents.bufferFull} / ${d.stats.droppedEvents.sendError} |`,
    );
  }
  receiver.child.kill();
  sink.child.kill();
  console.log(`ratio otel/phosphor per hop: hot ${hotRatio.toFixed(2)}, full ${fullRatio.toFixed(2)}`);
  process.exit(0);
}

function range(values: number[]): string {
  return `${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)}`;
}

await main();

/**
 * Where the tracer's full-pipeline cost per hop goes: the same hops as `npm run bench:tracer` (four
 * events, built afresh, default attributes), through tracers that differ in one thing each, rounds
 * interleaved in one process. CPU of this process per hop (background work included), median of the
 * rounds:
 *
 *   on@8192, on@16384, on@32768  the default attributes, datagrams of that size to a UDP receiver
 *   off@16384                    `attributes: false`
 *   on@16384:no-send             encoded into datagrams that are recycled instead of sent
 *   on@16384:no-encode           recorded, then dropped at the flush (recording only)
 *
 * so `no-send − no-encode` is building and encoding the events, `full − no-send` the sends. The
 * variants reach into the tracer's private fields: a measuring tool, never a configuration.
 *
 * Run: node --conditions=@phosphor/source --import tsx tracer-lib/bench/send-cost-split.bench.ts
 * Knobs: BENCH_VARIANTS (comma-separated, `attributes@bytes[:cut]`), BENCH_ROUNDS (5), BENCH_HOPS_PER_ROUND
 * (100,000).
 */
import { spawn } from 'node:child_process';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_SCHEME,
  createTracer,
  type IncomingTrace,
  type Tracer,
} from '../src/index.js';
import { beginClientHop, beginServerHop, endClientHop, endServerHop } from '../src/instrument/hop.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const HOPS_PER_ROUND = Number(process.env.BENCH_HOPS_PER_ROUND ?? 100_000);
/** As in record-hop.bench.ts: hops between yields to the event loop, so background flushes run. */
const HOPS_PER_TICK = 100;
const VARIANTS = (
  process.env.BENCH_VARIANTS ?? 'on@8192,on@16384,on@32768,off@16384,on@16384:no-send,on@16384:no-encode'
).split(',');

const RECEIVER_SOURCE = `
const socket = require('node:dgram').createSocket('udp4');
socket.on('message', () => {});
socket.bind(0, '127.0.0.1', () => process.send({ port: socket.address().port }));
process.on('disconnect', () => process.exit(0));
`;

interface TracerInternals {
  sent: number;
  drain(sendPartial: boolean): void;
  settleDrained(): void;
  ring: { peekRef(): unknown; drop(): void };
  writer: { recycle(datagram: Buffer): void };
  transport: { send(datagram: Buffer, events: number): void };
}

interface Variant {
  name: string;
  tracer: Tracer;
  record(hops: number): void;
}

function variant(name: string, port: number): Variant {
  const [attributes, rest = ''] = name.split('@');
  const [bytes, cut] = rest.split(':');
  const tracer = createTracer({
    service: 'gateway',
    collectors: [`127.0.0.1:${port}`],
    attributes: attributes === 'on',
    maxDatagramBytes: Number(bytes),
  });
  const internals = tracer as unknown as TracerInternals;
  if (cut === 'no-send') {
    internals.transport.send = (datagram, events) => {
      internals.sent += events;
      internals.writer.recycle(datagram);
    };
  } else if (cut === 'no-encode') {
    internals.drain = () => {
      while (internals.ring.peekRef() !== undefined) internals.ring.drop();
      internals.settleDrained();
    };
  } else if (cut !== undefined) {
    throw new Error(`BENCH_VARIANTS: unknown cut ${cut} in ${name}`);
  }
  const policy = tracer.attributes;
  const clientAttributes = policy.attributeSet(
    [
      [ATTR_HTTP_REQUEST_METHOD, 'GET'],
      [ATTR_URL_SCHEME, 'http'],
      [ATTR_SERVER_ADDRESS, '127.0.0.1'],
      [ATTR_SERVER_PORT, 8080],
    ],
    ATTR_HTTP_RESPONSE_STATUS_CODE,
  );
  const serverAttributes = policy.attributeSet(
    [
      [ATTR_HTTP_REQUEST_METHOD, 'GET'],
      [ATTR_HTTP_ROUTE, '/price/:sku'],
      [ATTR_URL_SCHEME, 'http'],
      [ATTR_SERVER_ADDRESS, '127.0.0.1'],
      [ATTR_SERVER_PORT, 8080],
    ],
    ATTR_HTTP_RESPONSE_STATUS_CODE,
  );
  return {
    name,
    tracer,
    record(hops) {
      for (let i = 0; i < hops; i++) {
        const client = beginClientHop(tracer, 'quote', 'GET /price/:sku', clientAttributes);
        const incoming: IncomingTrace = {
          traceId: client.traceId,
          hopSpanId: client.spanId,
          parentSpanId: client.parentSpanId,
          sampled: client.sampled,
          persistent: client.persistent,
        };
        const server = beginServerHop(tracer, incoming, 'GET /price/:sku', serverAttributes);
        endServerHop(tracer, server, undefined, 200);
        endClientHop(tracer, client, undefined, 200);
      }
    },
  };
}

async function cpuNsPerHop(v: Variant, hops: number): Promise<number> {
  const before = process.cpuUsage();
  for (let done = 0; done < hops; done += HOPS_PER_TICK) {
    v.record(HOPS_PER_TICK);
    await yieldToLoop();
  }
  await v.tracer.flush();
  const cpu = process.cpuUsage(before);
  return ((cpu.user + cpu.system) * 1000) / hops;
}

const receiver = spawn(process.execPath, ['-e', RECEIVER_SOURCE], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const port = await new Promise<number>((resolve) =>
  receiver.once('message', (m) => resolve((m as { port: number }).port)),
);
const variants = VARIANTS.map((name) => variant(name.trim(), port));
for (const v of variants) await cpuNsPerHop(v, 20_000); // warm-up
const results = new Map<string, number[]>(variants.map((v) => [v.name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const v of variants) results.get(v.name)?.push(await cpuNsPerHop(v, HOPS_PER_ROUND));
}
console.log(`node ${process.version}, ${ROUNDS} rounds × ${HOPS_PER_ROUND} hops (4 events each), CPU ns per hop`);
console.log('| variant | median | rounds | bytes/event | datagrams |');
console.log('|---|---:|---|---:|---:|');
for (const v of variants) {
  const rounds = results.get(v.name) as number[];
  const sorted = [...rounds].sort((a, b) => a - b);
  const stats = v.tracer.stats();
  const bytesPerEvent = stats.sentDatagrams > 0 ? (stats.sentBytes / stats.sentEvents).toFixed(1) : '–';
  console.log(
    `| ${v.name} | ${(sorted[Math.floor(sorted.length / 2)] as number).toFixed(0)} | ${rounds.map((r) => r.toFixed(0)).join(' ')} | ${bytesPerEvent} | ${stats.sentDatagrams} |`,
  );
  await v.tracer.close();
}
receiver.kill();

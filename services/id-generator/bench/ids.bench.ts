/**
 * `npm run bench:ids` — the ID service against its peers, all in one run (< 2 min):
 *   HTTP  POST /nextid (tracing off) vs a bare fastify route returning a constant   target ≥ 80 %
 *   gRPC  NextID       (tracing off) vs a bare grpc-js echo                          target ≥ 80 %
 *   HTTP  POST /nextid tracing on vs tracing off                                    target ≥ 97 %
 *   gRPC  NextID       tracing on vs tracing off                                    (reported)
 * Servers run in a child process (bench-servers.ts); this process is the load generator (autocannon for
 * HTTP, a bounded-concurrency loop for gRPC) and the UDP sink standing in for the collector. Rounds
 * rotate the targets so drift on a shared machine hits all of them; the median over rounds is reported.
 * Besides req/s, the server process's CPU time per request is measured (process.cpuUsage in the child):
 * on a busy shared machine wall-clock throughput swings with other load, while CPU per request (whose
 * inverse is the throughput one core would give) stays much steadier, so ratios are given for both.
 */
import { fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { credentials, loadPackageDefinition, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import autocannon from 'autocannon';
import { IdGeneratorService } from '../src/grpc/proto.js';

/** Seconds per measurement; 5 rounds × 6 measurements × 3 s + warm-up stays under 2 minutes. */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** Concurrent HTTP connections / in-flight gRPC calls: enough to saturate one server core. */
const CONCURRENCY = 32;

interface Addresses {
  bareHttp: string;
  bareGrpc: string;
  idHttpOff: string;
  idGrpcOff: string;
  idHttpOn: string;
  idGrpcOn: string;
}

type UnaryClient = Record<string, (request: unknown, callback: (error: Error | null) => void) => void>;

const sink = createSocket('udp4');
let sinkDatagrams = 0;
sink.on('message', () => {
  sinkDatagrams++;
});
sink.bind(0, '127.0.0.1');
await once(sink, 'listening');

const child = fork(fileURLToPath(new URL('./bench-servers.ts', import.meta.url)), [String(sink.address().port)], {
  execArgv: ['--import', 'tsx'],
  stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
});
const [firstLine] = (await once(child.stdout!, 'data')) as [Buffer];
const addresses = JSON.parse(firstLine.toString().split('\n')[0]!) as Addresses;

interface Sample {
  rate: number;
  cpuMicrosPerRequest: number;
}

async function childCpuMicros(): Promise<number> {
  child.send('cpu');
  const [reply] = (await once(child, 'message')) as [{ cpuMicros: number }];
  return reply.cpuMicros;
}

/** Runs `load` (which returns the number of completed requests) and measures rate and server CPU/request. */
async function measure(seconds: number, load: () => Promise<number>): Promise<Sample> {
  const cpuBefore = await childCpuMicros();
  const started = performance.now();
  const completed = await load();
  const elapsed = (performance.now() - started) / 1000;
  const cpu = (await childCpuMicros()) - cpuBefore;
  return { rate: completed / Math.max(elapsed, seconds), cpuMicrosPerRequest: cpu / completed };
}

async function http(url: string, seconds: number): Promise<Sample> {
  return measure(seconds, async () => {
    const result = await autocannon({
      url: `${url}/nextid`,
      method: 'POST',
      connections: CONCURRENCY,
      duration: seconds,
    });
    if (result.non2xx > 0 || result.errors > 0)
      throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    return result.requests.total;
  });
}

const echoRoot = loadPackageDefinition(
  loadSync(fileURLToPath(new URL('./echo.proto', import.meta.url))),
) as unknown as {
  phosphor: { bench: { v1: { Echo: ServiceClientConstructor } } };
};

function grpcClient(kind: 'echo' | 'id', target: string): { client: UnaryClient; method: string } {
  const Ctor = kind === 'echo' ? echoRoot.phosphor.bench.v1.Echo : IdGeneratorService;
  return {
    client: new Ctor(target, credentials.createInsecure()) as unknown as UnaryClient,
    method: kind === 'echo' ? 'Echo' : 'NextID',
  };
}

async function grpc(kind: 'echo' | 'id', target: string, seconds: number): Promise<Sample> {
  return measure(seconds, () => grpcLoad(kind, target, seconds));
}

async function grpcLoad(kind: 'echo' | 'id', target: string, seconds: number): Promise<number> {
  const { client, method } = grpcClient(kind, target);
  const call = client[method]!.bind(client);
  const deadline = performance.now() + seconds * 1000;
  let completed = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      await new Promise<void>((resolve, reject) => call({}, (error) => (error ? reject(error) : resolve())));
      completed++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  (client as unknown as { close(): void }).close();
  return completed;
}

const measurements: Array<[string, () => Promise<Sample>]> = [
  ['http bare fastify', () => http(addresses.bareHttp, SECONDS)],
  ['http id tracing off', () => http(addresses.idHttpOff, SECONDS)],
  ['http id tracing on', () => http(addresses.idHttpOn, SECONDS)],
  ['grpc bare echo', () => grpc('echo', addresses.bareGrpc, SECONDS)],
  ['grpc id tracing off', () => grpc('id', addresses.idGrpcOff, SECONDS)],
  ['grpc id tracing on', () => grpc('id', addresses.idGrpcOn, SECONDS)],
];

// Warm-up (JIT, connection pools), not recorded.
await http(addresses.bareHttp, 1);
await http(addresses.idHttpOff, 1);
await http(addresses.idHttpOn, 1);
await grpc('echo', addresses.bareGrpc, 1);
await grpc('id', addresses.idGrpcOff, 1);
await grpc('id', addresses.idGrpcOn, 1);

const samples = new Map<string, Sample[]>(measurements.map(([name]) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  // Rotate the order each round so no target always runs first (or last) on a drifting machine.
  const order = measurements.map((_, i) => measurements[(i + round) % measurements.length]!);
  for (const [name, run] of order) samples.get(name)!.push(await run());
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const rate = (name: string) => median(samples.get(name)!.map((s) => s.rate));
const cpu = (name: string) => median(samples.get(name)!.map((s) => s.cpuMicrosPerRequest));

child.send('stats');
const [childStats] = (await once(child, 'message')) as [
  { tracer: { sentEvents: number; droppedEvents: Record<string, number> } },
];
child.kill();
sink.close();

const checks = [
  ['HTTP id route / bare fastify', 'http id tracing off', 'http bare fastify', 80],
  ['gRPC NextID / bare grpc-js echo', 'grpc id tracing off', 'grpc bare echo', 80],
  ['HTTP id route tracing on / off', 'http id tracing on', 'http id tracing off', 97],
  ['gRPC NextID tracing on / off', 'grpc id tracing on', 'grpc id tracing off', 97],
] as const;
const verdict = (value: number, target: number) => (value >= target ? 'met' : 'NOT met');

const lines = [
  `node ${process.version}, ${SECONDS} s × ${ROUNDS} rounds per target (medians), ${CONCURRENCY} connections / in-flight calls`,
  '',
  '| target | req/s | req/s per round | server CPU µs/req |',
  '|---|---:|---|---:|',
  ...measurements.map(
    ([name]) =>
      `| ${name} | ${Math.round(rate(name))} | ${samples
        .get(name)!
        .map((s) => Math.round(s.rate))
        .join(' / ')} | ${cpu(name).toFixed(1)} |`,
  ),
  '',
  '| ratio | by req/s | by server CPU/req | target |',
  '|---|---:|---:|---:|',
  ...checks.map(([label, a, b, target]) => {
    const byRate = (100 * rate(a)) / rate(b);
    const byCpu = (100 * cpu(b)) / cpu(a);
    return `| ${label} | ${byRate.toFixed(1)} % (${verdict(byRate, target)}) | ${byCpu.toFixed(1)} % (${verdict(byCpu, target)}) | ≥ ${target} % |`;
  }),
  '',
  `tracing-on server: ${childStats.tracer.sentEvents} events sent, drops ${JSON.stringify(childStats.tracer.droppedEvents)}; sink received ${sinkDatagrams} datagrams`,
];
process.stdout.write(`${lines.join('\n')}\n`);

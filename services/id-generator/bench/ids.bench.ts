/**
 * `npm run bench:ids` — the ID service against its peers, all in one run (< 2 min):
 *   HTTP  POST /nextid (tracing off) vs a bare fastify route returning a constant   target ≥ 80 %
 *   gRPC  NextID       (tracing off) vs a bare grpc-js echo                          target ≥ 80 %
 *   HTTP  POST /nextid tracing on vs tracing off                                    target ≥ 97 %
 *   gRPC  NextID       tracing on vs tracing off                                    (reported)
 * Servers run in a child process (bench-servers.ts); this process is the load generator (autocannon for
 * HTTP, a bounded-concurrency loop for gRPC) and the UDP sink standing in for the collector. Rounds
 * alternate the targets so drift on a shared machine hits all of them; the mean over rounds is reported.
 */
import { fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { credentials, loadPackageDefinition, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import autocannon from 'autocannon';
import { IdGeneratorService } from '../src/grpc/proto.js';

/** Seconds per measurement; 3 rounds × 6 measurements × 4 s + warm-up stays under 2 minutes. */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
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

async function http(url: string, seconds: number): Promise<number> {
  const result = await autocannon({ url: `${url}/nextid`, method: 'POST', connections: CONCURRENCY, duration: seconds });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.total / seconds;
}

const echoRoot = loadPackageDefinition(loadSync(fileURLToPath(new URL('./echo.proto', import.meta.url)))) as unknown as {
  phosphor: { bench: { v1: { Echo: ServiceClientConstructor } } };
};

function grpcClient(kind: 'echo' | 'id', target: string): { client: UnaryClient; method: string } {
  const Ctor = kind === 'echo' ? echoRoot.phosphor.bench.v1.Echo : IdGeneratorService;
  return { client: new Ctor(target, credentials.createInsecure()) as unknown as UnaryClient, method: kind === 'echo' ? 'Echo' : 'NextID' };
}

async function grpc(kind: 'echo' | 'id', target: string, seconds: number): Promise<number> {
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
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const rate = completed / ((performance.now() - started) / 1000);
  (client as unknown as { close(): void }).close();
  return rate;
}

const measurements: Array<[string, () => Promise<number>]> = [
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

const samples = new Map<string, number[]>(measurements.map(([name]) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  // Rotate the order each round so no target always runs first (or last) on a drifting machine.
  const order = measurements.map((_, i) => measurements[(i + round) % measurements.length]!);
  for (const [name, run] of order) samples.get(name)!.push(await run());
}

const mean = (name: string) => {
  const values = samples.get(name)!;
  return values.reduce((a, b) => a + b, 0) / values.length;
};

child.send('stats');
const [childStats] = (await once(child, 'message')) as [{ tracer: { sentEvents: number; droppedEvents: Record<string, number> } }];
child.kill();
sink.close();

const rows = measurements.map(([name]) => ({
  name,
  mean: mean(name),
  rounds: samples.get(name)!.map((v) => Math.round(v)).join(' / '),
}));
const ratio = (a: string, b: string) => (100 * mean(a)) / mean(b);
const checks = [
  ['HTTP id route / bare fastify', ratio('http id tracing off', 'http bare fastify'), 80],
  ['gRPC NextID / bare grpc-js echo', ratio('grpc id tracing off', 'grpc bare echo'), 80],
  ['HTTP id route tracing on / off', ratio('http id tracing on', 'http id tracing off'), 97],
  ['gRPC NextID tracing on / off', ratio('grpc id tracing on', 'grpc id tracing off'), 97],
] as const;

const lines = [
  `node ${process.version}, ${SECONDS} s × ${ROUNDS} rounds per target, ${CONCURRENCY} connections / in-flight calls`,
  '',
  '| target | mean req/s | per round |',
  '|---|---:|---|',
  ...rows.map((r) => `| ${r.name} | ${Math.round(r.mean)} | ${r.rounds} |`),
  '',
  '| ratio | measured | target | |',
  '|---|---:|---:|---|',
  ...checks.map(([name, value, target]) => `| ${name} | ${value.toFixed(1)} % | ≥ ${target} % | ${value >= target ? 'met' : 'NOT met'} |`),
  '',
  `tracing-on server: ${childStats.tracer.sentEvents} events sent, drops ${JSON.stringify(childStats.tracer.droppedEvents)}; sink received ${sinkDatagrams} datagrams`,
];
process.stdout.write(`${lines.join('\n')}\n`);

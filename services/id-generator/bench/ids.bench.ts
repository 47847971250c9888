/**
 * `npm run bench:ids` — the ID service against its peers, all in one run (< 2 min):
 *   HTTP  POST /nextid (tracing off) vs a bare fastify route returning a constant   target ≥ 80 %
 *   gRPC  NextID       (tracing off) vs a bare grpc-js echo                          target ≥ 80 %
 *   HTTP  POST /nextid tracing on vs tracing off                                    target ≥ 95 %
 *   gRPC  NextID       tracing on vs tracing off                                    target ≥ 95 %
 * Each server runs in its own child process (bench-servers.ts: bare fastify, bare grpc-js echo, ID service
 * with no tracer, ID service traced) so nothing one turns on process-wide leaks into another's figures; this
 * process is the load generator (autocannon for HTTP, a bounded-concurrency loop for gRPC); a UDP sink standing
 * in for the collector runs in one more child (udp-sink.ts). Rounds rotate the targets so drift on a shared
 * machine hits all of them; the median over rounds is reported. Besides req/s, the serving process's CPU time
 * per request is measured (process.cpuUsage in that child, and per thread from /proc): on a busy shared
 * machine wall-clock throughput swings with other load, while CPU per request (whose inverse is the
 * throughput one core would give) stays steadier, so ratios are given for both.
 *
 * Knobs (for iterating, not for the recorded figures): BENCH_SECONDS, BENCH_ROUNDS, BENCH_ONLY (comma-separated
 * target names, e.g. "http id tracing off,http id tracing on"), BENCH_PROFILE (a server kind, e.g. "id-on":
 * that child runs with --cpu-prof and writes its profile to BENCH_PROFILE_DIR, default the working directory),
 * BENCH_BREAKDOWN=1 (adds HTTP targets for traced ID services with the tracer cut after building events,
 * after buffering, after encoding — see bench-servers.ts — to show what each stage costs — one traced with
 * `tracing.attributes: false`, and one sending 32 KiB datagrams).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { credentials, loadPackageDefinition, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import autocannon from 'autocannon';
import { IdGeneratorService } from '../src/grpc/proto.js';
import type { BenchServerAddresses, BenchServerKind } from './bench-servers.js';

/** Seconds per measurement; 5 rounds × 6 measurements × 3 s + warm-up stays under 2 minutes. */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** Concurrent HTTP connections / in-flight gRPC calls: enough to saturate one server core. */
const CONCURRENCY = 32;
const ONLY = process.env.BENCH_ONLY?.split(',').map((name) => name.trim());
const PROFILE = process.env.BENCH_PROFILE as BenchServerKind | undefined;
const BREAKDOWN = process.env.BENCH_BREAKDOWN === '1';

type UnaryClient = Record<string, (request: unknown, callback: (error: Error | null) => void) => void>;

const sink = fork(fileURLToPath(new URL('./udp-sink.ts', import.meta.url)), [], {
  execArgv: ['--conditions=@phosphor/source', '--import', 'tsx'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const [{ port: sinkPort }] = (await once(sink, 'message')) as [{ port: number }];

interface BenchServer {
  child: ChildProcess;
  addresses: BenchServerAddresses;
}

async function startServer(kind: BenchServerKind, env: Record<string, string> = {}): Promise<BenchServer> {
  const profile = PROFILE === kind ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR ?? '.'}`] : [];
  const child = fork(fileURLToPath(new URL('./bench-servers.ts', import.meta.url)), [kind, String(sinkPort)], {
    execArgv: [...profile, '--conditions=@phosphor/source', '--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
  });
  const [firstLine] = (await once(child.stdout!, 'data')) as [Buffer];
  return { child, addresses: JSON.parse(firstLine.toString().split('\n')[0]!) as BenchServerAddresses };
}

// Started one after the other: each child's start-up (tsx compile, JIT) must not overlap another's.
const servers = {
  bareHttp: await startServer('bare-http'),
  bareGrpc: await startServer('bare-grpc'),
  idOff: await startServer('id-off'),
  idOn: await startServer('id-on'),
};
const breakdown = BREAKDOWN
  ? {
      noEmit: await startServer('id-on-no-emit'),
      noEncode: await startServer('id-on-no-encode'),
      noSend: await startServer('id-on-no-send'),
      noAttributes: await startServer('id-on-no-attributes'),
      // The tracer's environment variable: datagrams to the local sink of 32 KiB instead of the 16 KiB default.
      datagrams32k: await startServer('id-on', { PHOSPHOR_MAX_DATAGRAM_BYTES: '32768' }),
    }
  : undefined;

interface Sample {
  rate: number;
  cpuMicrosPerRequest: number;
  /** CPU µs per request by thread name (main = the JS thread; V8 GC helpers, libuv pool, tsx loader…). */
  threadMicrosPerRequest: Map<string, number>;
}

/** Clock ticks per second of /proc/<pid>/task/<tid>/stat times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/**
 * CPU time of each thread of `pid`, summed by thread name, in µs (Linux /proc; empty elsewhere). Tells
 * work on the JS thread from work V8 moves to helper threads (parallel scavenges, concurrent marking).
 */
function threadCpuMicros(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return byName;
  }
  for (const tid of tasks) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const name = Number(tid) === pid ? 'main' : stat.slice(stat.indexOf('(') + 1, close).replace(/[0-9]+$/, '');
      const fields = stat.slice(close + 2).split(' ');
      // Fields 14 and 15 of stat (utime, stime) are at 11 and 12 after the ") " split.
      const micros = ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / USER_HZ;
      byName.set(name, (byName.get(name) ?? 0) + micros);
    } catch {
      // The thread exited between readdir and read.
    }
  }
  return byName;
}

async function childCpuMicros(child: ChildProcess): Promise<number> {
  child.send('cpu');
  const [reply] = (await once(child, 'message')) as [{ cpuMicros: number }];
  return reply.cpuMicros;
}

/** Runs `load` (which returns the number of completed requests) and measures rate and server CPU/request. */
async function measure(server: BenchServer, seconds: number, load: () => Promise<number>): Promise<Sample> {
  const cpuBefore = await childCpuMicros(server.child);
  const threadsBefore = threadCpuMicros(server.child.pid!);
  const started = performance.now();
  const completed = await load();
  const elapsed = (performance.now() - started) / 1000;
  const cpu = (await childCpuMicros(server.child)) - cpuBefore;
  const threadMicrosPerRequest = new Map<string, number>();
  for (const [name, micros] of threadCpuMicros(server.child.pid!)) {
    threadMicrosPerRequest.set(name, (micros - (threadsBefore.get(name) ?? 0)) / completed);
  }
  return { rate: completed / Math.max(elapsed, seconds), cpuMicrosPerRequest: cpu / completed, threadMicrosPerRequest };
}

async function http(server: BenchServer, seconds: number): Promise<Sample> {
  const url = server.addresses.http!;
  return measure(server, seconds, async () => {
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

async function grpc(kind: 'echo' | 'id', server: BenchServer, seconds: number): Promise<Sample> {
  return measure(server, seconds, () => grpcLoad(kind, server.addresses.grpc!, seconds));
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

const allMeasurements: Array<[string, (seconds: number) => Promise<Sample>]> = [
  ['http bare fastify', (seconds) => http(servers.bareHttp, seconds)],
  ['http id tracing off', (seconds) => http(servers.idOff, seconds)],
  ['http id tracing on', (seconds) => http(servers.idOn, seconds)],
  ['grpc bare echo', (seconds) => grpc('echo', servers.bareGrpc, seconds)],
  ['grpc id tracing off', (seconds) => grpc('id', servers.idOff, seconds)],
  ['grpc id tracing on', (seconds) => grpc('id', servers.idOn, seconds)],
];
if (breakdown !== undefined) {
  allMeasurements.push(
    ['http id traced no-emit', (seconds) => http(breakdown.noEmit, seconds)],
    ['http id traced no-encode', (seconds) => http(breakdown.noEncode, seconds)],
    ['http id traced no-send', (seconds) => http(breakdown.noSend, seconds)],
    ['http id traced no-attributes', (seconds) => http(breakdown.noAttributes, seconds)],
    ['http id traced 32 KiB datagrams', (seconds) => http(breakdown.datagrams32k, seconds)],
  );
}
const measurements = allMeasurements.filter(([name]) => ONLY === undefined || ONLY.includes(name));
if (measurements.length === 0)
  throw new Error(`BENCH_ONLY matched no target (${allMeasurements.map(([n]) => n).join(', ')})`);

// Warm-up (JIT, connection pools), not recorded.
for (const [, run] of measurements) await run(1);

const samples = new Map<string, Sample[]>(measurements.map(([name]) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  // Rotate the order each round so no target always runs first (or last) on a drifting machine.
  const order = measurements.map((_, i) => measurements[(i + round) % measurements.length]!);
  for (const [name, run] of order) samples.get(name)!.push(await run(SECONDS));
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const rate = (name: string) => median(samples.get(name)!.map((s) => s.rate));
const cpu = (name: string) => median(samples.get(name)!.map((s) => s.cpuMicrosPerRequest));

servers.idOn.child.send('stats');
const [childStats] = (await once(servers.idOn.child, 'message')) as [
  { tracer: { sentEvents: number; droppedEvents: Record<string, number> } },
];
const loadAverage = (await import('node:os')).loadavg();
for (const server of [...Object.values(servers), ...Object.values(breakdown ?? {})]) {
  // Asked to exit rather than killed: a child run with --cpu-prof writes its profile on a normal exit.
  server.child.send('exit');
  await once(server.child, 'exit');
}
sink.send('count');
const [{ datagrams: sinkDatagrams }] = (await once(sink, 'message')) as [{ datagrams: number }];
sink.send('exit');

const checks = [
  ['HTTP id route / bare fastify', 'http id tracing off', 'http bare fastify', 80],
  ['gRPC NextID / bare grpc-js echo', 'grpc id tracing off', 'grpc bare echo', 80],
  ['HTTP id route tracing on / off', 'http id tracing on', 'http id tracing off', 95],
  ['gRPC NextID tracing on / off', 'grpc id tracing on', 'grpc id tracing off', 95],
] as const;
const measured = new Set(measurements.map(([name]) => name));
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
  ...checks
    .filter(([, a, b]) => measured.has(a) && measured.has(b))
    .map(([label, a, b, target]) => {
      const byRate = (100 * rate(a)) / rate(b);
      const byCpu = (100 * cpu(b)) / cpu(a);
      return `| ${label} | ${byRate.toFixed(1)} % (${verdict(byRate, target)}) | ${byCpu.toFixed(1)} % (${verdict(byCpu, target)}) | ≥ ${target} % |`;
    }),
  '',
  'server CPU µs/req by thread (medians; /proc, 10 ms ticks — coarse for short runs):',
  '',
  ...measurements.map(([name]) => {
    const threads = new Set(samples.get(name)!.flatMap((s) => [...s.threadMicrosPerRequest.keys()]));
    const parts = [...threads]
      .map(
        (thread) => [thread, median(samples.get(name)!.map((s) => s.threadMicrosPerRequest.get(thread) ?? 0))] as const,
      )
      .filter(([, micros]) => micros >= 0.05)
      .sort((a, b) => b[1] - a[1])
      .map(([thread, micros]) => `${thread} ${micros.toFixed(1)}`);
    return `- ${name}: ${parts.join(', ')}`;
  }),
  '',
  `load average at the end (1/5/15 min): ${loadAverage.map((l) => l.toFixed(2)).join(' / ')}`,
  `tracing-on server: ${childStats.tracer.sentEvents} events sent, drops ${JSON.stringify(childStats.tracer.droppedEvents)}; sink received ${sinkDatagrams} datagrams`,
];
process.stdout.write(`${lines.join('\n')}\n`);

/**
 * What the ID service benchmarks share: the UDP sink and the bench servers they start as child processes
 * (bench-servers.ts), the HTTP load they put on a server, and the statistics they print.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { BenchServerAddresses, BenchServerKind } from './bench-servers.js';

/** Concurrent HTTP connections / in-flight gRPC calls: enough to saturate one server core. */
export const CONCURRENCY = 32;
/** Children run the TypeScript sources, as the benchmarks themselves do. */
const SOURCE_EXEC_ARGV = ['--conditions=@phosphor/source', '--import', 'tsx'];

/** A started bench server: its process and the addresses it printed. */
export interface BenchServer {
  child: ChildProcess;
  addresses: BenchServerAddresses;
}

/** Starts the UDP sink the traced servers send to; resolves with it and its port. */
export async function startSink(): Promise<{ sink: ChildProcess; port: number }> {
  const sink = fork(fileURLToPath(new URL('./udp-sink.ts', import.meta.url)), [], {
    execArgv: SOURCE_EXEC_ARGV,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [{ port }] = (await once(sink, 'message')) as [{ port: number }];
  return { sink, port };
}

/** How {@link startBenchServer} starts a server beyond its kind. */
export interface BenchServerOptions {
  /** Added to the child's environment. */
  env?: Record<string, string>;
  /** The bench-servers.ts to run (another checkout's, for A/B runs); default this one. */
  script?: string;
  /** The child's working directory (another checkout's root, so it resolves its own packages). */
  cwd?: string;
  /** Node options before the TypeScript loader's (e.g. `--cpu-prof`). */
  execArgv?: string[];
  /** The executable run with Node's arguments (default this Node; a wrapper, e.g. to run it under valgrind). */
  execPath?: string;
}

/** Starts one bench server sending to the sink at `sinkPort`; resolves once it printed its addresses. */
export async function startBenchServer(
  kind: BenchServerKind,
  sinkPort: number,
  options: BenchServerOptions = {},
): Promise<BenchServer> {
  const script = options.script ?? fileURLToPath(new URL('./bench-servers.ts', import.meta.url));
  const child = fork(script, [kind, String(sinkPort)], {
    execArgv: [...(options.execArgv ?? []), ...SOURCE_EXEC_ARGV],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: { ...process.env, ...options.env },
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.execPath === undefined ? {} : { execPath: options.execPath }),
  });
  const [firstLine] = (await once(child.stdout!, 'data')) as [Buffer];
  return { child, addresses: JSON.parse(firstLine.toString().split('\n')[0]!) as BenchServerAddresses };
}

/** Asks a bench server to exit (a child run with --cpu-prof writes its profile on a normal exit) and waits. */
export async function stopBenchServer(server: BenchServer): Promise<void> {
  const child = server.child;
  // Already gone (it failed): nothing to ask, and its 'exit' event has passed.
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  if (child.connected) child.send('exit');
  else child.kill();
  await exited;
}

/** Requests the HTTP ID route at `url` completed under {@link CONCURRENCY} connections for `seconds`. */
export async function httpRequests(url: string, seconds: number): Promise<number> {
  const result = await autocannon({
    url: `${url}/nextid`,
    method: 'POST',
    connections: CONCURRENCY,
    duration: seconds,
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.total;
}

/** The q-quantile (0..1) by linear interpolation. */
export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return (sorted[low] as number) + ((sorted[high] as number) - (sorted[low] as number)) * (at - low);
}

export function median(values: number[]): number {
  return quantile(values, 0.5);
}

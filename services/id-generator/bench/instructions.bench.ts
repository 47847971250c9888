/**
 * The traced ID request's cost in instructions: `npm run bench:ids-instructions` (needs valgrind:
 * `apt-get install valgrind`).
 *
 * `bench:ids` measures what the target is stated in — requests per second — but on a small shared
 * machine its sets of processes spread by several per cent, more than a change of the tracer moves.
 * Instructions executed do not depend on the machine's noise. Here each server of bench-servers.ts
 * runs under `valgrind --tool=callgrind` with counting off, gets the bench's load (32 connections) for
 * two warm-up loads of BENCH_WARMUP_SECONDS (default 25) — long enough, at valgrind's pace without
 * counting, for the tracer's background drain (one call per thousand requests) to reach the JIT's top
 * tier as in the real bench — then counting is switched on, it serves a load of BENCH_SECONDS (default
 * 20) and the counts are dumped. Printed per server: requests served in that load and instructions per
 * request on the main thread (where requests are served: everything under libuv's event loop,
 * `uv_run`) and in all threads (the JIT compilers and the garbage collector's helpers besides).
 * BENCH_KINDS (default "id-off,id-on") are the servers, BENCH_SETS (default 2) the sets of fresh
 * processes, the order alternating per set. Compared: the untraced main thread's instructions as a
 * share of the traced one's (100 % = tracing costs nothing), per set and their median. Each server
 * takes about two minutes under valgrind.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpRequests, median, startBenchServer, startSink, stopBenchServer } from './bench-children.js';
import type { BenchServerKind } from './bench-servers.js';

const KINDS = (process.env.BENCH_KINDS ?? 'id-off,id-on').split(',').map((kind) => kind.trim()) as BenchServerKind[];
const SETS = Number(process.env.BENCH_SETS ?? 2);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 25);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
if (!(SETS >= 1 && WARMUP_SECONDS >= 1 && SECONDS >= 1)) {
  throw new Error('BENCH_SETS, BENCH_WARMUP_SECONDS and BENCH_SECONDS: numbers ≥ 1');
}

/**
 * Callgrind's function whose inclusive count is the main thread's work once counting is on (libuv's event loop),
 * as `callgrind_annotate` names it: `<count> (<share>)  <source path>/core.c:uv_run`, followed by ` [<object>]` on
 * some lines and not on others (it depends on the listing's order), so the name must end the line or precede a
 * space. libuv's inline helpers (`internal.h:uv_run`, `queue.h:uv_run`) are other entries and do not match.
 */
const MAIN_THREAD_FUNCTION = /^\s*([\d,]+) \([^)]*\)\s+(?:\S*\/)?core\.c:uv_run(?:\s|$)/;

function tool(name: string, args: string[]): string {
  try {
    return execFileSync(name, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${name} not found: this bench needs valgrind (apt-get install valgrind)`);
    throw error;
  }
}

tool('valgrind', ['--version']);
const work = mkdtempSync(join(tmpdir(), 'phosphor-instructions-'));
// fork() runs its execPath with Node's arguments: a wrapper puts the child under callgrind.
const wrapper = join(work, 'node-under-callgrind.sh');
writeFileSync(
  wrapper,
  `#!/bin/sh\nexec valgrind --tool=callgrind --instr-atstart=no --smc-check=all-non-file '--callgrind-out-file=${work}/callgrind.%p' '${process.execPath}' "$@"\n`,
);
chmodSync(wrapper, 0o755);

interface Count {
  requests: number;
  mainPerRequest: number;
  allPerRequest: number;
}

/** Instructions of the dump callgrind wrote for `pid` (its first dump: the measured load). */
function countOf(pid: number, requests: number): Count {
  const dump = join(work, `callgrind.${pid}.1`);
  const summary = /^summary:\s+(\d+)/m.exec(readFileSync(dump, 'utf8'));
  const annotated = tool('callgrind_annotate', ['--inclusive=yes', '--threshold=100', dump]);
  const main = annotated
    .split('\n')
    .map((line) => MAIN_THREAD_FUNCTION.exec(line)?.[1])
    .find((count) => count !== undefined);
  if (summary === null || main === undefined) throw new Error(`${dump}: no instruction counts found`);
  return {
    requests,
    mainPerRequest: Number(main.replaceAll(',', '')) / requests,
    allPerRequest: Number(summary[1]) / requests,
  };
}

const loadAtStart = loadavg();
const { sink, port: sinkPort } = await startSink();
const counts = new Map<BenchServerKind, Count[]>(KINDS.map((kind) => [kind, []]));
try {
  for (let set = 0; set < SETS; set++) {
    for (const kind of set % 2 === 0 ? KINDS : [...KINDS].reverse()) {
      const server = await startBenchServer(kind, sinkPort, { execPath: wrapper });
      let requests: number;
      try {
        const url = server.addresses.http;
        if (url === undefined) throw new Error(`${kind}: no HTTP address (an HTTP server kind is needed)`);
        const pid = String(server.child.pid);
        await httpRequests(url, WARMUP_SECONDS);
        await httpRequests(url, WARMUP_SECONDS);
        tool('callgrind_control', ['--instr=on', pid]);
        tool('callgrind_control', ['--zero', pid]);
        requests = await httpRequests(url, SECONDS);
        tool('callgrind_control', ['--dump=measured', pid]);
      } finally {
        // On a failure too: a server left running under valgrind would hold a core for good.
        await stopBenchServer(server);
      }
      const count = countOf(server.child.pid as number, requests);
      counts.get(kind)?.push(count);
      console.log(
        `set ${set + 1} ${kind}: ${requests} requests; ${Math.round(count.mainPerRequest)} instructions per request on the main thread, ${Math.round(count.allPerRequest)} in all threads`,
      );
    }
  }
} finally {
  sink.send('exit');
  rmSync(work, { recursive: true, force: true });
}

console.log(
  `\nnode ${process.version}, ${SETS} sets, warm-up 2 × ${WARMUP_SECONDS} s, measured ${SECONDS} s per server`,
);
console.log('| server | main thread, instructions per request (per set) | all threads |');
console.log('|---|---|---|');
for (const [kind, list] of counts) {
  const main = list.map((c) => Math.round(c.mainPerRequest));
  const all = list.map((c) => Math.round(c.allPerRequest));
  console.log(`| ${kind} | ${main.join(' / ')} | ${all.join(' / ')} |`);
}
const untraced = counts.get('id-off');
for (const [kind, list] of counts) {
  if (kind === 'id-off' || untraced === undefined) continue;
  const shares = list.map((c, set) => (100 * (untraced[set] as Count).mainPerRequest) / c.mainPerRequest);
  console.log(
    `untraced / ${kind}, main-thread instructions per request: ${median(shares).toFixed(1)} % (sets ${shares.map((s) => s.toFixed(1)).join(' / ')})`,
  );
}
const loadAtEnd = loadavg();
console.log(
  `load average at the start ${loadAtStart.map((l) => l.toFixed(2)).join(' / ')}; at the end ${loadAtEnd.map((l) => l.toFixed(2)).join(' / ')}`,
);

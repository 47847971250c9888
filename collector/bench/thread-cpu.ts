/**
 * CPU time of every thread of this process, by OS thread name (Linux /proc): the main thread is
 * `MainThread`, a worker started with `{ name }` carries that name (Node ≥ 24), V8's helpers are
 * `V8Worker`, libuv's pool `libuv-worker`. Lets a benchmark say where the CPU went — sender,
 * receiving thread, each shard, GC and compiler helpers — instead of one process total.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Linux clock ticks per second (USER_HZ) for /proc CPU times. */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU microseconds per thread id, with the thread's name. */
export type ThreadCpuSnapshot = Map<string, { name: string; cpuMicros: number }>;

/** Reads every thread's user + system CPU time, of this process or of process `pid` (empty off Linux). */
export function threadCpuSnapshot(pid: number | 'self' = 'self'): ThreadCpuSnapshot {
  const out: ThreadCpuSnapshot = new Map();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      // utime and stime are fields 14 and 15 of stat(5); fields[0] is field 3.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, { name, cpuMicros: ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS_PER_SECOND });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/**
 * CPU microseconds used between two snapshots, summed by group (`group(name)`; threads that
 * started after `before` count from zero, threads that ended before `after` are missed — the
 * sender worker reports its own CPU for that reason).
 */
export function threadCpuDelta(
  before: ThreadCpuSnapshot,
  after: ThreadCpuSnapshot,
  group: (name: string) => string,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const [tid, { name, cpuMicros }] of after) {
    const used = cpuMicros - (before.get(tid)?.cpuMicros ?? 0);
    const key = group(name);
    out.set(key, (out.get(key) ?? 0) + used);
  }
  return out;
}

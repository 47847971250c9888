/**
 * What this machine gives two busy threads against one, measured in the same run as the collectors:
 * the ceiling of any speed-up from sharding, before the collector's own costs. Compute-bound work on
 * two real cores scales 2×; work that misses the caches scales less when the cores share a cache
 * and memory (on a virtual machine, also when the host's cores are busy), and the collector's
 * table probes are that kind of work.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** Work the probe runs (see core-scaling.worker.mjs). */
export type ScalingWork = 'compute' | 'memory';

const PROBE_MILLIS = 2000;

/** Blocks each of `threads` threads finished in PROBE_MILLIS, all running at once. */
async function blocksPerThread(work: ScalingWork, threads: number): Promise<number[]> {
  return Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<number>((resolve, reject) => {
          const worker = new Worker(new URL('./core-scaling.worker.mjs', import.meta.url), {
            workerData: { kind: work, millis: PROBE_MILLIS },
          });
          worker.once('message', (m: { blocks: number }) => {
            resolve(m.blocks);
            void worker.terminate();
          });
          worker.once('error', reject);
        }),
    ),
  );
}

/**
 * Throughput of `threads` threads at once over one thread's, for each kind of work: one thread alone,
 * then all of them, twice, the better of the two rounds kept (a burst of other load lowers a round).
 */
export async function coreScaling(threads = Math.min(2, availableParallelism())): Promise<Record<ScalingWork, number>> {
  const result = { compute: 0, memory: 0 };
  for (const work of ['compute', 'memory'] as const) {
    for (let round = 0; round < 2; round++) {
      const [alone] = await blocksPerThread(work, 1);
      const together = (await blocksPerThread(work, threads)).reduce((a, b) => a + b, 0);
      result[work] = Math.max(result[work], together / (alone as number));
    }
  }
  return result;
}

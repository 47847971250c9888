/**
 * One thread of the core-scaling probe (core-scaling.ts): runs `kind` work for `millis` and reports how
 * many blocks it finished. `compute`: integer arithmetic in registers. `memory`: the same arithmetic
 * choosing slots of a 32 MiB table to update — random accesses that miss the caches, as the
 * collector's id tables and stores do. Plain JavaScript so the worker needs no TypeScript loader.
 */
import { parentPort, workerData } from 'node:worker_threads';

const BLOCK = 100_000;
/** 8 Mi slots of 4 bytes: well past this machine's per-core L2, and its L3 shared by all cores. */
const TABLE_SLOTS = 8 * 1024 * 1024;

const { kind, millis } = workerData;
const table = kind === 'memory' ? new Int32Array(TABLE_SLOTS) : undefined;
const end = performance.now() + millis;
let blocks = 0;
let x = 1;
while (performance.now() < end) {
  if (table === undefined) {
    for (let i = 0; i < BLOCK; i++) x = (Math.imul(x, 1103515245) + 12345) | 0;
  } else {
    for (let i = 0; i < BLOCK; i++) {
      x = (Math.imul(x, 1103515245) + 12345) | 0;
      table[(x >>> 8) & (TABLE_SLOTS - 1)] += 1;
    }
  }
  blocks++;
}
parentPort?.postMessage({ blocks, x });

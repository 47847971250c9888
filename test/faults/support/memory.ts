/** Live-heap measurement for the fault scenarios. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// vitest workers do not run with --expose-gc; V8 lets a running process expose it, and a fresh
// context picks the global `gc` up. Only the test process is affected.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * Heap in use right after a full garbage collection: live objects only. Without the collection,
 * heapUsed also counts garbage not yet collected, which swings by tens of MB with allocation timing.
 */
export function liveHeapBytes(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

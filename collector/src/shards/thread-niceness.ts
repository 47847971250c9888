/**
 * Lowers the priority of the calling thread only (Linux): `setpriority(PRIO_PROCESS, tid)` applies
 * to one task, and a worker thread learns its task id from the `/proc/thread-self` link
 * (`<pid>/task/<tid>`). Raising niceness needs no privilege.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** Task id of the calling thread, or undefined where there is no /proc (not Linux). */
export function currentThreadId(): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sets the calling thread's niceness. Returns why it could not (to log), or undefined when it
 * did or when `niceness` is 0. Never throws: a shard runs the same at the process's priority.
 */
export function setCurrentThreadNiceness(niceness: number): string | undefined {
  if (niceness === 0) return undefined;
  const tid = currentThreadId();
  if (tid === undefined) return 'thread priorities are set on Linux only (no /proc/thread-self)';
  try {
    setPriority(tid, niceness);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

import { readFileSync } from 'node:fs';

/** Where Linux exposes the largest SO_RCVBUF an unprivileged setsockopt may ask for. */
const RMEM_MAX_PATH = '/proc/sys/net/core/rmem_max';

/**
 * The kernel's cap on a socket receive buffer (`net.core.rmem_max`, bytes), or undefined where it
 * cannot be read (not Linux, restricted /proc). Node's setRecvBufferSize silently clamps to it, and
 * getRecvBufferSize then reports the clamped value doubled (kernel bookkeeping), which looks like
 * success — so the cap has to be read to tell an operator that the buffer they asked for is not
 * what they got.
 */
export function readReceiveBufferCap(path = RMEM_MAX_PATH): number | undefined {
  try {
    const value = Number(readFileSync(path, 'utf8').trim());
    return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The warning to log when `udp.receiveBufferBytes` exceeds the kernel cap, or undefined. The
 * buffer is what absorbs a burst or a pause of the event loop (a GC, a busy neighbour on the
 * core); clamped, the collector loses datagrams in shorter stalls than its operator planned for.
 */
export function receiveBufferCapWarning(requestedBytes: number, capBytes: number | undefined): string | undefined {
  if (capBytes === undefined || requestedBytes <= capBytes) return undefined;
  return (
    `udp.receiveBufferBytes asks for ${requestedBytes} bytes but the kernel caps socket receive buffers at ` +
    `net.core.rmem_max = ${capBytes} bytes, so bursts and pauses longer than that buffer lose datagrams; ` +
    `raise it, e.g. sysctl -w net.core.rmem_max=${requestedBytes}`
  );
}

import type { Socket } from 'node:dgram';
import { readSync } from 'node:fs';

/**
 * Reads the datagrams queued on a bound `dgram` socket in one go, with one `read` system call each
 * and no callback per datagram, while the socket's own receiving is paused.
 *
 * Why not `socket.on('message')` alone: for every datagram Node's receive path allocates a 64 KiB
 * buffer and shrinks it, builds the sender's address object and calls into JavaScript, and an idle
 * loop is woken for each one. At the collector's rates that was as much CPU per event as a bare
 * socket's whole receive (a socket read this way against a bare one at the same offered load: 308
 * against 611 ns per event, docs/benchmarks.md). The endpoint reads this
 * way while datagrams keep coming and goes back to the socket's own receiving when a read finds
 * nothing, so an idle collector sleeps until the next datagram.
 *
 * Node has no public API for this: the socket's handle is taken from its internal state (the
 * `_handle` getter is deprecated and warns). {@link open} returns undefined wherever the handle is
 * not as expected (another Node version, Windows, where the handle has no file descriptor), and
 * the endpoint then keeps the socket's own receiving.
 *
 * Each datagram is a view of a shared slab of memory. A slab is reused only when the caller says the
 * views read so far are out of use ({@link recycle}: the engine copies what it keeps); otherwise a
 * fresh one is taken, so a view a consumer keeps (a Kafka record) stays valid. Reusing it matters: a
 * fresh slab's pages are faulted in and zeroed by the kernel as the reads fill them. The sender's
 * address is not read (nothing downstream uses it).
 */
export class PolledSocketReader {
  private slab = Buffer.allocUnsafeSlow(0);
  private used = 0;

  private constructor(
    private readonly handle: UdpHandle,
    private readonly fd: number,
  ) {}

  /** A reader for a bound socket, or undefined when this Node cannot read it this way. */
  static open(socket: Socket): PolledSocketReader | undefined {
    if (process.platform === 'win32') return undefined;
    const state = Object.getOwnPropertySymbols(socket).find((symbol) => symbol.description === 'state symbol');
    const handle =
      state === undefined ? undefined : (socket as unknown as Record<symbol, { handle?: unknown }>)[state]?.handle;
    if (!isUdpHandle(handle)) return undefined;
    const fd = handle.fd;
    return Number.isInteger(fd) && fd >= 0 ? new PolledSocketReader(handle, fd) : undefined;
  }

  /** Stops the socket's own receiving: datagrams wait in the kernel for {@link read}. */
  pause(): void {
    this.handle.recvStop();
  }

  /** Starts the socket's own receiving again (`'message'` events). */
  resume(): void {
    this.handle.recvStart();
  }

  /** The views {@link read} returned so far are out of use: the next reads may overwrite them. */
  recycle(): void {
    this.used = 0;
  }

  /**
   * Appends up to `max` queued datagrams to `into`; returns how many, or an Error when the socket
   * failed with anything but "nothing queued" (what was read before it is in `into`).
   */
  read(into: Buffer[], max: number): number | Error {
    let count = 0;
    while (count < max) {
      if (this.slab.length - this.used < MAX_READ_BYTES) {
        this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
        this.used = 0;
      }
      let length: number;
      try {
        length = readSync(this.fd, this.slab, this.used, MAX_READ_BYTES, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        return code === 'EAGAIN' || code === 'EWOULDBLOCK' ? count : (err as Error);
      }
      into.push(this.slab.subarray(this.used, this.used + length));
      this.used += length;
      count++;
    }
    return count;
  }
}

/**
 * Bytes offered to each read: more than the largest UDP payload (65,507 bytes), so a datagram is
 * never cut short and its real size reaches the oversized check.
 */
const MAX_READ_BYTES = 65_536;
/** One slab holds several hundred datagrams of the usual sizes; its last < 64 KiB go unused. */
const SLAB_BYTES = 1024 * 1024;

/** The parts of Node's UDP handle this reader uses. */
interface UdpHandle {
  fd: number;
  recvStart(): number;
  recvStop(): number;
}

function isUdpHandle(value: unknown): value is UdpHandle {
  const handle = value as Partial<UdpHandle> | undefined;
  return (
    typeof handle === 'object' &&
    handle !== null &&
    typeof handle.fd === 'number' &&
    typeof handle.recvStart === 'function' &&
    typeof handle.recvStop === 'function'
  );
}

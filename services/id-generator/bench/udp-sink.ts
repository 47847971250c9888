/**
 * The collector's stand-in for `npm run bench:ids`: a UDP socket in its own child process that counts
 * datagrams. Its own process, like a real collector, so receiving never competes with the load
 * generator's event loop.
 *
 * It receives the way the collector's UDP endpoint does (`udp.ingestBatchMillis`, default 2 ms): the
 * first datagram of a burst arrives as a `'message'` event and pauses the socket's own receiving;
 * the rest wait in the kernel and are read in one go every 2 ms with the collector's own
 * `PolledSocketReader`, until a poll finds nothing. Counting Node's `'message'` event per datagram
 * instead cost this sink 80–105 µs of CPU per 16 KiB datagram (a 64 KiB buffer allocated and shrunk
 * for each, its pages faulted in, a wake-up for each) and the traced server 30–70 µs per send
 * against 12–15 µs to a socket no reader waits on — a receiver the collector is not, on the two
 * cores the server and the load generator share (docs/benchmarks.md). Sends `{ port }` once bound;
 * answers `count` with `{ datagrams }`.
 */
import { createSocket } from 'node:dgram';
import { PolledSocketReader } from '@phosphor/collector/udp-socket-reader';

/** The collector's default `udp.ingestBatchMillis`. */
const POLL_INTERVAL_MILLIS = 2;
/** Datagrams read per poll at most (the collector's batch limit). */
const MAX_DATAGRAMS_PER_POLL = 256;
/**
 * The kernel receive buffer asked for, as the collector asks (`udp.receiveBufferBytes`); Linux caps it
 * at net.core.rmem_max. What arrives in 2 ms waits there.
 */
const RECEIVE_BUFFER_BYTES = 8 * 1024 * 1024;

const socket = createSocket({ type: 'udp4', recvBufferSize: RECEIVE_BUFFER_BYTES });
let datagrams = 0;
let reader: PolledSocketReader | undefined;
let polling = false;
const gathered: Buffer[] = [];

function poll(): void {
  if (reader === undefined) return;
  gathered.length = 0;
  const read = reader.read(gathered, MAX_DATAGRAMS_PER_POLL);
  reader.recycle();
  if (read instanceof Error) throw read;
  datagrams += read;
  if (read === 0) {
    // Nothing came since the last poll: back to being woken by the next datagram.
    polling = false;
    reader.resume();
  } else {
    setTimeout(poll, read === MAX_DATAGRAMS_PER_POLL ? 0 : POLL_INTERVAL_MILLIS);
  }
}

socket.on('message', () => {
  datagrams++;
  if (reader === undefined || polling) return;
  polling = true;
  reader.pause();
  setTimeout(poll, POLL_INTERVAL_MILLIS);
});
socket.bind(0, '127.0.0.1', () => {
  reader = PolledSocketReader.open(socket);
  process.send?.({ port: socket.address().port });
});
process.on('message', (message) => {
  if (message === 'count') {
    if (polling) poll();
    process.send?.({ datagrams });
  }
  if (message === 'exit') process.exit(0);
});

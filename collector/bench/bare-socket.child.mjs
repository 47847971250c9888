/**
 * The bare socket the collector benchmarks compare against, in a process of its own: a `dgram`
 * socket on 127.0.0.1 that counts datagrams and does nothing else — what a team would write as
 * the cheapest possible receiver. Run with `fork()` and no Node flags (argv[2]: the receive
 * buffer to ask for, bytes). It tells its parent its port once bound ({ port }) and its count
 * every COUNT_REPORT_MILLIS while datagrams arrive ({ datagrams }); it exits when the parent
 * disconnects. Its CPU is read by the parent from /proc/<pid>/task, all of its threads.
 *
 * Why a process of its own: measured inside the benchmark's process, the bare socket's garbage
 * collections marked the benchmark's heap (its datagram rounds, its compiled TypeScript, the
 * collectors measured before), and V8's helper threads were charged 180–270 ns per event for it
 * in some runs and 40–50 in others — a bare socket up to a third costlier than it is, and a
 * collector-to-bare ratio that read 51–55 % in runs where the collector cost as much as in runs
 * that read 35–40 %. Plain JavaScript so the process needs no TypeScript loader.
 */
import { createSocket } from 'node:dgram';

const COUNT_REPORT_MILLIS = 10;

const receiveBufferBytes = Number(process.argv[2]);
const socket = createSocket('udp4');
let datagrams = 0;
let reported = 0;
socket.on('message', () => {
  datagrams++;
});
socket.bind(0, '127.0.0.1', () => {
  if (receiveBufferBytes > 0) socket.setRecvBufferSize(receiveBufferBytes);
  process.send?.({ port: socket.address().port });
});
// Reports only when the count moved, so an idle socket sends nothing.
setInterval(() => {
  if (datagrams === reported) return;
  reported = datagrams;
  process.send?.({ datagrams });
}, COUNT_REPORT_MILLIS);
process.on('disconnect', () => process.exit(0));

/**
 * The collector's stand-in for `npm run bench:ids`: a UDP socket in its own child process that counts
 * datagrams. Its own process, like a real collector, so receiving never competes with the load
 * generator's event loop, and it reads promptly: on loopback a datagram's memory is charged to the
 * sender's socket until the receiver reads it, so a slow reader would back up the traced server's
 * sends. Sends `{ port }` once bound; answers `count` with `{ datagrams }`.
 */
import { createSocket } from 'node:dgram';

const socket = createSocket('udp4');
let datagrams = 0;
socket.on('message', () => {
  datagrams++;
});
socket.bind(0, '127.0.0.1', () => process.send?.({ port: socket.address().port }));
process.on('message', (message) => {
  if (message === 'count') process.send?.({ datagrams });
  if (message === 'exit') process.exit(0);
});

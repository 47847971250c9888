import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { PolledSocketReader } from '../../../src/receivers/udp/polled-socket-reader.js';
import { sendDatagrams } from '../../support/udp.js';
import { until } from '../../support/until.js';

const sockets: Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

async function boundSocket(): Promise<Socket> {
  const socket = createSocket('udp4');
  sockets.push(socket);
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return socket;
}

const CHUNK = 50;

/** Datagrams of the sizes that matter: empty, small, a slab's worth of usual ones, the largest UDP payload. */
function datagrams(): Buffer[] {
  const sizes = [0, 1, 1400, 65_507, ...Array.from({ length: 2000 }, (_, i) => 100 + ((i * 37) % 1400)), 16_384];
  return sizes.map((size, i) => Buffer.alloc(size, i % 251));
}

describe.skipIf(process.platform === 'win32')('PolledSocketReader', () => {
  it('reads every datagram queued while the socket is paused, whole and in order, then reports none left', async () => {
    const socket = await boundSocket();
    const reader = PolledSocketReader.open(socket);
    expect(reader).toBeDefined();
    let events = 0;
    socket.on('message', () => events++);
    reader?.pause();
    const sent = datagrams();
    const sender = await boundSocket();
    const port = (socket.address() as { port: number }).port;
    const received: Buffer[] = [];
    // In chunks a default-sized kernel receive buffer holds.
    for (let from = 0; from < sent.length; from += CHUNK) {
      await sendDatagrams(sender, port, sent.slice(from, from + CHUNK));
      const expected = Math.min(sent.length, from + CHUNK);
      await until(() => {
        const read = reader?.read(received, 1000);
        if (read instanceof Error) throw read;
        return received.length === expected;
      });
    }
    expect(received.map((d) => d.length)).toEqual(sent.map((d) => d.length));
    expect(received.every((d, i) => d.equals(sent[i] as Buffer))).toBe(true);
    // Several slabs were filled; views of the earlier ones still hold their bytes.
    expect(new Set(received.map((d) => d.buffer)).size).toBeGreaterThan(1);
    expect(reader?.read(received, 10)).toBe(0);
    expect(events).toBe(0);
  });

  it('reads no more than asked, and resume gives the queue back to message events', async () => {
    const socket = await boundSocket();
    const reader = PolledSocketReader.open(socket) as PolledSocketReader;
    const messages: Buffer[] = [];
    socket.on('message', (message) => messages.push(message));
    reader.pause();
    const sent = Array.from({ length: 5 }, (_, i) => Buffer.from(`datagram ${i}`));
    const sender = await boundSocket();
    const port = (socket.address() as { port: number }).port;
    await sendDatagrams(sender, port, sent);
    const received: Buffer[] = [];
    await until(() => (reader.read(received, 2 - received.length) as number) >= 0 && received.length === 2);
    expect(received.map(String)).toEqual(['datagram 0', 'datagram 1']);
    reader.resume();
    await until(() => messages.length === 3);
    expect(messages.map(String)).toEqual(['datagram 2', 'datagram 3', 'datagram 4']);
  });

  it('is not offered for a socket without a handle (closed)', async () => {
    const socket = createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    socket.close();
    await once(socket, 'close');
    expect(PolledSocketReader.open(socket)).toBeUndefined();
  });
});

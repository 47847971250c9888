import type { Socket } from 'node:dgram';

/** Sends `datagrams` to 127.0.0.1:`port` one after the other, each once the kernel took the previous one. */
export async function sendDatagrams(sender: Socket, port: number, datagrams: Buffer[]): Promise<void> {
  for (const d of datagrams) {
    await new Promise<void>((resolve, reject) =>
      sender.send(d, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
    );
  }
}

import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { type Batch, decodeDatagram } from '@phosphor/wire';

/** A real UDP socket on an ephemeral port that decodes what a tracer sends (a minimal collector). */
export class UdpReceiver {
  readonly batches: Batch[] = [];
  readonly rejected: string[] = [];
  readonly sizes: number[] = [];
  private readonly socket: Socket;

  private constructor(socket: Socket, hmacKey?: Buffer) {
    this.socket = socket;
    socket.on('message', (msg) => {
      this.sizes.push(msg.length);
      const result = decodeDatagram(msg, hmacKey);
      if (result.ok) this.batches.push(result.batch);
      else this.rejected.push(result.reason);
    });
  }

  static async start(hmacKey?: Buffer): Promise<UdpReceiver> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new UdpReceiver(socket, hmacKey);
  }

  get address(): string {
    return `127.0.0.1:${(this.socket.address() as AddressInfo).port}`;
  }

  get events() {
    return this.batches.flatMap((b) => b.events);
  }

  /** Waits (real time) until `count` events arrived or `timeoutMillis` passed. */
  async waitForEvents(count: number, timeoutMillis = 2000): Promise<void> {
    const deadline = performance.now() + timeoutMillis;
    while (this.events.length < count && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** A closed UDP port on localhost: bound once to learn a free port, then released. */
export async function deadPort(): Promise<string> {
  const receiver = await UdpReceiver.start();
  const address = receiver.address;
  await receiver.close();
  return address;
}

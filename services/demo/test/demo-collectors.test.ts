import { createSocket, type Socket } from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import { resolveIdServiceConfig } from '@phosphor/id-generator';
import { decodeDatagram } from '@phosphor/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDemo, startDemo } from '../src/demo.js';

/** Services whose batches each of two collectors received. */
const servicesAt: [Set<string>, Set<string>] = [new Set(), new Set()];
const sockets: Socket[] = [];
let demo: RunningDemo;

beforeAll(async () => {
  for (const seen of servicesAt) {
    const socket = createSocket('udp4');
    socket.on('message', (datagram) => {
      const result = decodeDatagram(datagram);
      if (result.ok) seen.add(result.batch.service);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    sockets.push(socket);
  }
  demo = await startDemo(
    {
      tracing: { collectors: sockets.map((s) => `127.0.0.1:${s.address().port}`) },
      idGenerator: { httpPort: 0, grpcPort: 0, traceIdBatchSize: 50 },
      gateway: { httpPort: 0 },
      rates: { httpPort: 0 },
      quote: { httpPort: 0, grpcPort: 0, errorRate: 0, slowRate: 0, slowDelayMillis: 150 },
      traffic: { enabled: false },
    },
    { idServiceConfig: resolveIdServiceConfig({ logging: { stdout: false } }) },
  );
});

afterAll(async () => {
  await demo.close();
  for (const socket of sockets) socket.close();
});

describe('demo tracers and a list of collectors', () => {
  it('spreads its services over every collector of the list (each list rotated per service)', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await fetch(`${demo.urls.gateway}/quote/ACME`)).status).toBe(200);
    }
    for (let i = 0; i < 50 && !(servicesAt[0].has('quote') && servicesAt[1].has('gateway')); i++) {
      await Promise.all([demo.tracers.gateway.flush(), demo.tracers.quote.flush()]);
      await sleep(20);
    }
    expect(servicesAt[0].has('quote')).toBe(true);
    expect(servicesAt[1].has('gateway')).toBe(true);
    // A tracer sends to one collector at a time: no service is split over both while both are up.
    expect(servicesAt[0].has('gateway')).toBe(false);
    expect(servicesAt[1].has('quote')).toBe(false);
  });
});

import { createServer } from 'node:net';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { encodeBatch } from '../../../wire/test/support/reference-encoder.js';
import { buildCollector } from '../../src/app.js';
import { loadConfig } from '../../src/config/load-config.js';
import { batchOf, hopEvents } from '../support/hops.js';

/** A port nothing listens on: bound, then closed. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('receiver whose Kafka is unreachable', () => {
  it('buffers up to kafka.maxBufferedRecords, then drops and counts; accepted = produced + dropped + buffered', async () => {
    const port = await deadPort();
    const config = loadConfig({
      values: {
        role: 'receiver',
        kafka: { brokers: [`127.0.0.1:${port}`], maxBufferedRecords: 100, lingerMillis: 0 },
        udp: { port: 0 },
        http: { port: 0 },
      },
    });
    const collector = await buildCollector(config, { logger: pino({ level: 'silent' }) });
    await collector.start();
    try {
      for (let i = 0; i < 300; i++) {
        collector.ingest(
          encodeBatch(
            batchOf(hopEvents({ traceId: `${1000 + i}`, spanId: 'aaaaaaaaaaaaaaaa', times: { REQ: 1, REP: 2 } }), i),
          ),
        );
      }
      const stats = collector.stats() as {
        udp: { acceptedEvents: number };
        cluster: {
          kafka: {
            bufferedRecords: number;
            droppedRecords: number;
            droppedEvents: number;
            producedEvents: number;
            bufferedEvents: number;
          };
        };
      };
      const kafka = stats.cluster.kafka;
      expect(stats.udp.acceptedEvents).toBe(600);
      expect(kafka.bufferedRecords).toBe(100);
      expect(kafka.droppedRecords).toBe(200);
      expect(kafka.producedEvents + kafka.droppedEvents + kafka.bufferedEvents).toBe(stats.udp.acceptedEvents);
      const health = await collector.http.inject({ method: 'GET', url: '/health/kafka' });
      expect(health.body).toMatch(/KO|Degraded/);
    } finally {
      await collector.close();
    }
  }, 30_000);
});

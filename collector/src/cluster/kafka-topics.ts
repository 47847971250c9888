import { Admin } from '@platformatic/kafka';
import type { Logger } from 'pino';
import { parseBroker } from './config.js';

/** Topics a cluster needs, with their partition counts. */
export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
  /** Topic configs, e.g. retention. */
  configs?: Record<string, string>;
}

/**
 * Creates missing topics (receivers and assemblers both call it, so whichever starts first
 * creates them). An existing topic is left as it is: its partition count is logged when it
 * differs from the config, since changing it would move traces between partitions.
 */
export async function ensureTopics(brokers: string[], topics: TopicSpec[], logger: Logger): Promise<void> {
  const admin = new Admin({
    clientId: 'phosphor-admin',
    bootstrapBrokers: brokers.map(parseBroker),
    timeout: 10_000,
    retries: 3,
  });
  try {
    const existing = new Set(await admin.listTopics());
    for (const topic of topics) {
      if (existing.has(topic.name)) continue;
      try {
        await admin.createTopics({
          topics: [topic.name],
          partitions: topic.partitions,
          replicas: topic.replicationFactor,
          ...(topic.configs
            ? { configs: Object.entries(topic.configs).map(([name, value]) => ({ name, value })) }
            : {}),
        });
        logger.info({ topic: topic.name, partitions: topic.partitions }, 'created Kafka topic');
      } catch (err) {
        // Another member created it in between: fine.
        if (!/already exists/i.test(String((err as Error).message) + JSON.stringify(err))) throw err;
      }
    }
  } finally {
    await admin.close().catch(() => undefined);
  }
}

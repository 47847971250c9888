import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';

describe('role and kafka config', () => {
  it('defaults to the all-in-one role and a member name unique per process', () => {
    const config = loadConfig({});
    expect(config.role).toBe('all');
    expect(config.kafka.memberName).toMatch(new RegExp(`-${process.pid}$`));
    expect(config.kafka.partitions).toBe(12);
  });

  it('takes the role from the environment and refuses an assembler without Elasticsearch', () => {
    expect(() => loadConfig({ env: { PHOSPHOR_COLLECTOR_ROLE: 'assembler' } })).toThrow(
      /COL_ERR_CONFIG_INVALID: role: an assembler stores spans in Elasticsearch.*environment variable PHOSPHOR_COLLECTOR_ROLE/,
    );
    const ok = loadConfig({
      env: { PHOSPHOR_COLLECTOR_ROLE: 'assembler' },
      values: { storage: { type: 'elasticsearch' } },
    });
    expect(ok.role).toBe('assembler');
  });

  it.each([
    ['an unknown role', { role: 'router' }, /role/],
    ['a broker without a port', { kafka: { brokers: ['localhost'] } }, /kafka\.brokers/],
    ['a topic name Kafka refuses', { kafka: { topic: 'bad topic' } }, /kafka\.topic/],
    ['an unknown kafka key', { kafka: { bootstrap: 'x' } }, /kafka/],
  ])('rejects %s naming the key', (_name, values, message) => {
    expect(() => loadConfig({ values })).toThrow(message);
  });
});

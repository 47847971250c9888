import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { CollectorError } from '../../src/errors.js';
import { shardConfig } from '../../src/shards/shard-host.js';

function errorOf(fn: () => unknown): CollectorError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CollectorError) return err;
    throw err;
  }
  throw new Error('expected a CollectorError');
}

describe('shards setting', () => {
  it('defaults to auto: one shard per core the process may use', () => {
    expect(loadConfig().shards).toBe(availableParallelism());
    expect(loadConfig({ values: { shards: 'auto' } }).shards).toBe(availableParallelism());
  });

  it('takes a number from the file, the environment or a flag (later wins)', () => {
    expect(loadConfig({ values: { shards: 3 } }).shards).toBe(3);
    expect(loadConfig({ values: { shards: 3 }, env: { PHOSPHOR_COLLECTOR_SHARDS: '5' } }).shards).toBe(5);
    expect(loadConfig({ env: { PHOSPHOR_COLLECTOR_SHARDS: 'auto' } }).shards).toBe(availableParallelism());
    expect(
      loadConfig({
        env: { PHOSPHOR_COLLECTOR_SHARDS: '5' },
        overrides: { shards: 1 },
        overrideLabels: { shards: 'flag --shards' },
      }).shards,
    ).toBe(1);
  });

  it.each([
    [{ values: { shards: 0 } }, 'shards: must be "auto" or an integer from 1 to 256'],
    [{ values: { shards: 1000 } }, 'shards: must be "auto" or an integer from 1 to 256'],
    [{ values: { shards: 'all' } }, 'shards: must be "auto" or an integer from 1 to 256'],
    [{ env: { PHOSPHOR_COLLECTOR_SHARDS: 'lots' } }, '(from environment variable PHOSPHOR_COLLECTOR_SHARDS)'],
    [{ overrides: { shards: 0 }, overrideLabels: { shards: 'flag --shards' } }, '(from flag --shards)'],
  ])('rejects %j naming the key and its source', (options, message) => {
    const err = errorOf(() => loadConfig(options));
    expect(err.code).toBe('COL_ERR_CONFIG_INVALID');
    expect(err.field).toBe('shards');
    expect(err.message).toContain(message);
  });

  it('divides the memory caps among shards and gives each its own Elasticsearch spool', () => {
    const config = loadConfig({
      values: { shards: 4, receiverShardShare: 0, storage: { elasticsearch: { spoolDir: '/var/spool/phosphor' } } },
    });
    const shard = shardConfig(config, 2);
    expect(shard.assembly.maxPendingSpans).toBe(config.assembly.maxPendingSpans / 4);
    expect(shard.assembly.maxRememberedSpans).toBe(config.assembly.maxRememberedSpans / 4);
    expect(shard.storage.memory.maxSpans).toBe(config.storage.memory.maxSpans / 4);
    expect((shard.storage.elasticsearch as { spoolDir: string }).spoolDir).toBe('/var/spool/phosphor/shard-2');
    // Shard 0 keeps the configured folder: what a single-core run spooled is replayed.
    expect((shardConfig(config, 0).storage.elasticsearch as { spoolDir: string }).spoolDir).toBe('/var/spool/phosphor');
    // The collector's own config is left as it was.
    expect((config.storage.elasticsearch as { spoolDir: string }).spoolDir).toBe('/var/spool/phosphor');
  });

  it('sizes the caps of the shard on the receiving thread and of the worker shards by their slices', () => {
    const config = loadConfig({ values: { shards: 3, receiverShardShare: 0.2 } });
    const onReceiver = shardConfig(config, 0);
    const worker = shardConfig(config, 1);
    const max = config.storage.memory.maxSpans;
    expect(onReceiver.storage.memory.maxSpans / max).toBeCloseTo(0.2, 3);
    expect(worker.storage.memory.maxSpans / max).toBeCloseTo(0.4, 3);
    expect(worker.assembly.maxPendingSpans / config.assembly.maxPendingSpans).toBeCloseTo(0.4, 3);
  });

  it.each([
    [-0.1, 'receiverShardShare'],
    [0.95, 'receiverShardShare'],
    [-1, 'shardWorkerNiceness'],
    [20, 'shardWorkerNiceness'],
    [2.5, 'shardWorkerNiceness'],
  ])('rejects %s for %s', (value, field) => {
    const err = errorOf(() => loadConfig({ values: { [field]: value } }));
    expect(err.code).toBe('COL_ERR_CONFIG_INVALID');
    expect(err.field).toBe(field);
  });
});

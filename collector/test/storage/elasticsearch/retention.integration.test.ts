import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { afterEach, describe, expect, it } from 'vitest';
import { ES_TARGET_NAMES, requireEsTarget } from '../../../../test/support/elasticsearch-targets.js';
import { retentionMain } from '../../../src/cli/retention.js';
import { indexNameFor } from '../../../src/storage/elasticsearch/span-document.js';
import { openRealStore, type RealStore } from './es-test-support.js';

const DAY = 86_400_000;
const dayIndex = (prefix: string, daysAgo: number) => indexNameFor(prefix, (Date.now() - daysAgo * DAY) * 1000);

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups) await c();
  cleanups = [];
});

async function indices(admin: Client, prefix: string): Promise<string[]> {
  const rows = await admin.cat.indices({ index: `${prefix}-*`, h: 'index', format: 'json' });
  return rows.map((r) => r.index as string).sort();
}

describe.each(ES_TARGET_NAMES)('retention on a real node (%s)', (target) => {
  it('the store deletes daily indices older than retentionDays and keeps the rest', async () => {
    const real: RealStore = await openRealStore(target, { retentionDays: 3 });
    cleanups.push(() => real.cleanup());
    for (const ago of [0, 3, 4, 10]) await real.admin.indices.create({ index: dayIndex(real.prefix, ago) });
    await real.admin.indices.create({ index: `${real.prefix}-manual` });
    const deleted = await real.store.runRetention();
    expect(deleted).toEqual([dayIndex(real.prefix, 10), dayIndex(real.prefix, 4)]);
    expect(await indices(real.admin, real.prefix)).toEqual(
      [dayIndex(real.prefix, 0), dayIndex(real.prefix, 3), `${real.prefix}-manual`].sort(),
    );
    expect(real.store.stats().deletedIndices).toBe(2);
  });

  it('the CLI reads the collector config, supports --dry-run, and deletes expired indices', async () => {
    const es = await requireEsTarget(target);
    const url = es.url;
    const admin = new Client(es.adminOptions);
    const prefix = `phosphor-retention-cli-${Date.now().toString(36)}`;
    const dir = mkdtempSync(join(tmpdir(), 'phosphor-retention-'));
    cleanups.push(async () => {
      await admin.indices.delete({ index: `${prefix}-*`, allow_no_indices: true, ignore_unavailable: true });
      await admin.close();
      rmSync(dir, { recursive: true, force: true });
    });
    for (const ago of [1, 8, 30]) await admin.indices.create({ index: dayIndex(prefix, ago) });
    const file = join(dir, 'collector.yml');
    writeFileSync(
      file,
      `storage:\n  type: elasticsearch\n  elasticsearch:\n    nodes: ["${url}"]\n    indexPrefix: ${prefix}\n    retentionDays: 7\n`,
    );
    const out: string[] = [];
    const err: string[] = [];
    // The secured node's CA and API key come from the environment, as a deployment passes secrets.
    const env: Record<string, string> = es.secured
      ? { PHOSPHOR_COLLECTOR_ES_CA_FILE: es.secured.caFile, PHOSPHOR_COLLECTOR_ES_API_KEY: es.secured.apiKey }
      : {};
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env };

    expect(await retentionMain(['--config', file, '--dry-run'], io)).toBe(0);
    expect(out).toEqual([`would delete ${dayIndex(prefix, 30)}`, `would delete ${dayIndex(prefix, 8)}`]);
    expect((await indices(admin, prefix)).length).toBe(3);

    out.length = 0;
    expect(await retentionMain(['--config', file], io)).toBe(0);
    expect(await indices(admin, prefix)).toEqual([dayIndex(prefix, 1)]);
    expect(out.at(-1)).toMatch(/^2 index\(es\) older than 7 days deleted/);
    expect(err).toEqual([]);

    expect(await retentionMain(['--config', file, '--retention-days', 'zero'], io)).toBe(2);
    expect(err.at(-1)).toMatch(/--retention-days/);
    expect(await retentionMain(['--bogus'], io)).toBe(2);
    expect(err.at(-1)).toMatch(/COL_ERR_CLI_ARGS/);
  });
});

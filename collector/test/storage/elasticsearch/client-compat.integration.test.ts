import { Client } from '@elastic/elasticsearch';
import { describe, expect, it } from 'vitest';
import { ES_TARGET_NAMES, requireEsTarget } from '../../../../test/support/elasticsearch-targets.js';

/**
 * One client major for both server majors: the 8.19 client sends `compatible-with=8`, which ES 9 answers through
 * REST compatibility. (The 9.x client's `compatible-with=9` is refused by 8.19 — checked by hand when choosing;
 * this test pins the half the collector relies on.)
 */
describe.each(ES_TARGET_NAMES)('the @elastic/elasticsearch 8.19 client against %s', (name) => {
  it('talks to the server of the expected major with compatible-with=8 headers', async () => {
    const target = await requireEsTarget(name);
    const client = new Client(target.adminOptions);
    try {
      const info = await client.nodes.info({ node_id: '_local', metric: 'process' }, { meta: true });
      const version = Object.values(info.body.nodes)[0]?.version ?? '';
      expect(version.split('.')[0]).toBe(String(target.major));
      const accept = String(info.meta.request.params.headers?.accept ?? '');
      expect(accept).toContain('compatible-with=8');
    } finally {
      await client.close();
    }
  });
});

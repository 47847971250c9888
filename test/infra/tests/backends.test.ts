import { readFileSync } from 'node:fs';
import { Client } from '@elastic/elasticsearch';
import { describe, expect, it } from 'vitest';
import { requireBackend } from '../../support/backends.js';
import { requireEsTarget } from '../../support/elasticsearch-targets.js';

// The test command provisions every backend; this file proves each one is real and answering before the
// integration suites rely on it, so a provisioning failure shows up as one clear failure here.
describe('real backends', () => {
  it('Elasticsearch 8.x answers cluster health', async () => {
    const url = await requireBackend('elasticsearch');
    const health = (await (await fetch(`${url}/_cluster/health`)).json()) as {
      status: string;
      number_of_nodes: number;
    };
    expect(['green', 'yellow']).toContain(health.status);
    expect(health.number_of_nodes).toBe(1);
    const nodes = (await (await fetch(`${url}/_nodes/_local`)).json()) as {
      nodes: Record<string, { version: string }>;
    };
    expect(Object.values(nodes.nodes)[0]?.version).toMatch(/^8\./);
  });

  it('Elasticsearch 9.x answers over HTTPS with its own CA, as the provisioned user and with the API key', async () => {
    const es = await requireEsTarget('es9');
    expect(es.url).toMatch(/^https:\/\/127\.0\.0\.1:/);
    const health = await es.request('GET', '/_cluster/health');
    expect(health.status).toBe(200);
    const nodes = await es.request('GET', '/_nodes/_local');
    const [node] = Object.values((nodes.body as { nodes: Record<string, { version: string }> }).nodes);
    expect(node?.version).toMatch(/^9\./);
    // Plain HTTP is refused: TLS is on.
    await expect(fetch(es.url.replace('https:', 'http:'))).rejects.toThrow();
    const whoami = await new Client({
      node: es.url,
      auth: { apiKey: es.secured?.apiKey ?? '' },
      tls: { ca: readFileSync(es.secured?.caFile ?? '', 'utf8') },
    }).security.authenticate();
    expect(whoami.authentication_type).toBe('api_key');
  });

  it('VictoriaMetrics accepts an InfluxDB v2 write and returns the point', async () => {
    const url = await requireBackend('influx');
    const marker = `probe_${Date.now()}`;
    const write = await fetch(`${url}/api/v2/write?org=phosphor&bucket=test&precision=ms`, {
      method: 'POST',
      body: `backend_probe,run=${marker} value=42 ${Date.now()}`,
    });
    expect(write.status).toBe(204);
    let series = '';
    for (let i = 0; i < 40 && !series.includes(marker); i++) {
      await new Promise((r) => setTimeout(r, 250));
      await fetch(`${url}/internal/force_flush`); // make the fresh sample searchable now
      series = await (await fetch(`${url}/api/v1/export?match[]={run="${marker}"}`)).text();
    }
    expect(series).toContain('"values":[42]');
  });

  it('Redis answers and Chromium is an executable', async () => {
    await expect(requireBackend('redis')).resolves.toMatch(/^redis:\/\//);
    await expect(requireBackend('chromium')).resolves.toMatch(/chromium/);
  });
});

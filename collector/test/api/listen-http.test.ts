import type { Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { holdPort } from '../../../service-kit/test/support/hold-port.js';
import type { Collector } from '../../src/app.js';
import { testCollector } from '../support/collector.js';

describe('the API and dashboard port', () => {
  let collector: Collector | undefined;
  let held: Server | undefined;
  afterEach(async () => {
    await collector?.close();
    collector = undefined;
    held?.close();
    held = undefined;
  });

  it('in use: start rejects with COL_ERR_HTTP_BIND naming http.port and the address', async () => {
    const { server, port } = await holdPort();
    held = server;
    collector = await testCollector({ http: { port } });
    const started = collector.start();
    await expect(started).rejects.toMatchObject({ code: 'COL_ERR_HTTP_BIND', field: 'http.port' });
    await expect(started).rejects.toThrow(new RegExp(`http 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
  });

  it('free: start reports the bound port and a URL to open', async () => {
    collector = await testCollector();
    const addresses = await collector.start();
    expect(addresses.httpPort).toBeGreaterThan(0);
    expect(addresses.httpUrl).toBe(`http://127.0.0.1:${addresses.httpPort}`);
  });
});

import type { Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { holdPort } from '../../../service-kit/test/support/hold-port.js';
import { buildIdService, type IdService } from '../src/app.js';
import { resolveIdServiceConfig } from '../src/config/id-service-config.js';

function serviceOn(httpHostPort: string, grpcHostPort: string): Promise<IdService> {
  return buildIdService(
    resolveIdServiceConfig({
      service: { httpHostPort, grpcHostPort },
      logging: { stdout: false },
      tracing: { enabled: false },
    }),
  );
}

describe('listen addresses already in use', () => {
  let service: IdService | undefined;
  let held: Server | undefined;
  afterEach(async () => {
    await service?.close();
    service = undefined;
    held?.close();
    held = undefined;
  });

  it('HTTP: start rejects with IDG_ERR_SERVER_BIND naming service.httpHostPort and the address', async () => {
    const { server, port } = await holdPort();
    held = server;
    service = await serviceOn(`127.0.0.1:${port}`, '127.0.0.1:0');
    const started = service.start();
    await expect(started).rejects.toMatchObject({ code: 'IDG_ERR_SERVER_BIND', field: 'service.httpHostPort' });
    await expect(started).rejects.toThrow(new RegExp(`service\\.httpHostPort 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
  });

  it('gRPC: start rejects with IDG_ERR_SERVER_BIND naming service.grpcHostPort and the address', async () => {
    const { server, port } = await holdPort();
    held = server;
    service = await serviceOn('127.0.0.1:0', `127.0.0.1:${port}`);
    const started = service.start();
    await expect(started).rejects.toMatchObject({ code: 'IDG_ERR_SERVER_BIND', field: 'service.grpcHostPort' });
    await expect(started).rejects.toThrow(new RegExp(`service\\.grpcHostPort 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
  });
});

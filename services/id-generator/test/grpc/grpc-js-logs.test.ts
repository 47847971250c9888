import { Server, ServerCredentials, setLogger } from '@grpc/grpc-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { holdPort } from '../../../../service-kit/test/support/hold-port.js';
import { routeGrpcJsLogs } from '../../src/grpc/grpc-js-logs.js';
import { createServiceLogger } from '../../src/logging/logger.js';

describe('grpc-js log lines', () => {
  afterEach(() => {
    setLogger(console);
    vi.restoreAllMocks();
  });

  it("go through the service logger as Logstash lines, not to stderr (a failed bind's own line)", async () => {
    const lines: string[] = [];
    const logger = createServiceLogger({
      service: 'id-generator',
      level: 'info',
      stdout: false,
      extraStream: { write: (line: string) => lines.push(line) },
    });
    routeGrpcJsLogs(logger);
    const stderr = vi.spyOn(process.stderr, 'write');
    const { server: held, port } = await holdPort();
    const grpc = new Server();
    try {
      const bound = new Promise<number>((resolve, reject) =>
        grpc.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (error, p) =>
          error ? reject(error) : resolve(p),
        ),
      );
      await expect(bound).rejects.toThrow(/No address added/);
    } finally {
      held.close();
      grpc.forceShutdown();
    }
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        service: 'id-generator',
        correlation_id: 'grpc-js',
        message: expect.stringMatching(/No address added out of total 1 resolved/),
      }),
    );
    expect(stderr.mock.calls.map(([chunk]) => String(chunk)).join('')).not.toMatch(/No address added/);
  });
});

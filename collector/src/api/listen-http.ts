import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { HttpConfig } from '../config/config.js';
import { CollectorError } from '../errors.js';

/** Where the API and dashboard listen once bound. */
export interface HttpAddress {
  httpPort: number;
  /** The URL to print: a wildcard host is shown as 127.0.0.1. */
  httpUrl: string;
}

/**
 * Starts the API and dashboard server on `http.host`:`http.port`; a port that cannot be bound (in use,
 * not permitted) rejects with COL_ERR_HTTP_BIND naming `http.port`, as a UDP or OTLP bind failure does.
 */
export async function listenHttp(
  http: FastifyInstance,
  config: Pick<HttpConfig, 'host' | 'port'>,
): Promise<HttpAddress> {
  try {
    await http.listen({ host: config.host, port: config.port });
  } catch (err) {
    throw new CollectorError(
      'COL_ERR_HTTP_BIND',
      `http ${config.host}:${config.port}: ${(err as Error).message}`,
      'http.port',
      { cause: err },
    );
  }
  const httpPort = (http.server.address() as AddressInfo).port;
  const shownHost = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  return { httpPort, httpUrl: `http://${shownHost}:${httpPort}` };
}

import { createServer, type Server } from 'node:net';

/** A TCP server holding a free port on 127.0.0.1, as another program would (tests of "address in use"). */
export async function holdPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

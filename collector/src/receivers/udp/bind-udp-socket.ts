import type { Socket } from 'node:dgram';
import type { Logger } from 'pino';
import type { UdpConfig } from '../../config/config.js';
import { CollectorError } from '../../errors.js';
import type { RateLimitedWarner } from '../../util/rate-limited-warner.js';
import { readReceiveBufferCap, receiveBufferCapWarning } from './kernel-buffer-cap.js';

/**
 * Binds the collector's UDP socket the one way both receivers (single engine and sharded) need:
 * a bind failure rejects with COL_ERR_UDP_BIND naming `udp.port`; after binding, socket errors
 * (e.g. ICMP-driven) are warned about, never fatal; the configured receive buffer is requested,
 * with a warning when the kernel's cap would shrink it. Resolves with the receive buffer size
 * the kernel granted.
 */
export async function bindUdpSocket(
  socket: Socket,
  options: Pick<UdpConfig, 'host' | 'port' | 'receiveBufferBytes'>,
  warner: RateLimitedWarner,
  logger: Logger,
): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) =>
      reject(
        new CollectorError('COL_ERR_UDP_BIND', `udp ${options.host}:${options.port}: ${err.message}`, 'udp.port', {
          cause: err,
        }),
      );
    socket.once('error', onError);
    socket.bind(options.port, options.host, () => {
      socket.off('error', onError);
      resolve();
    });
  });
  socket.on('error', (err) => warner.warn('socket_error', `UDP socket error: ${err.message}`));
  if (options.receiveBufferBytes > 0) {
    try {
      socket.setRecvBufferSize(options.receiveBufferBytes);
    } catch (err) {
      logger.warn({ err }, 'could not set the UDP receive buffer size');
    }
    const capWarning = receiveBufferCapWarning(options.receiveBufferBytes, readReceiveBufferCap());
    if (capWarning) logger.warn(capWarning);
  }
  return socket.getRecvBufferSize();
}

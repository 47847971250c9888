import { createHmac } from 'node:crypto';
import { WIRE_HMAC_BYTES } from './limits.js';

/**
 * The datagram's optional authenticator: HMAC-SHA256 over the 4-byte header and the payload, truncated to
 * WIRE_HMAC_BYTES. Shared by the decoder and encoders so both sides compute it the same way.
 */
export function computeDatagramMac(key: Buffer, header: Uint8Array, payload: Uint8Array): Buffer {
  return createHmac('sha256', key).update(header).update(payload).digest().subarray(0, WIRE_HMAC_BYTES);
}

import { timingSafeEqual } from 'node:crypto';
import { computeDatagramMac } from './datagram-mac.js';
import {
  WIRE_FLAG_HMAC,
  WIRE_HEADER_BYTES,
  WIRE_HMAC_BYTES,
  WIRE_MAGIC_0,
  WIRE_MAGIC_1,
  WIRE_VERSION,
} from './limits.js';

/** Why a datagram was rejected as a whole. */
export type DatagramRejection = 'too_short' | 'bad_magic' | 'wrong_version' | 'missing_hmac' | 'bad_hmac' | 'malformed';

/** A datagram rejected as a whole, with a message saying why. */
export interface DatagramRejected {
  ok: false;
  reason: DatagramRejection;
  detail: string;
}

/*
 * The checks before the protobuf payload (length, magic, version, HMAC), in one place: the
 * codec's decoder and the collector's event router must reject the same datagrams for the same
 * reasons with the same messages.
 */

/**
 * Checks a datagram's 4-byte header and its HMAC; returns the offset where the protobuf payload
 * starts, or the rejection. With `hmacKey`, datagrams without a valid HMAC are rejected; without
 * it, an HMAC present in the datagram is skipped unchecked.
 */
export function checkDatagramEnvelope(datagram: Uint8Array, hmacKey: Buffer | undefined): number | DatagramRejected {
  if (datagram.length < WIRE_HEADER_BYTES) {
    return {
      ok: false,
      reason: 'too_short',
      detail: `datagram of ${datagram.length} bytes is shorter than the header`,
    };
  }
  if (datagram[0] !== WIRE_MAGIC_0 || datagram[1] !== WIRE_MAGIC_1) {
    return { ok: false, reason: 'bad_magic', detail: 'datagram does not start with the "PH" magic' };
  }
  if (datagram[2] !== WIRE_VERSION) {
    return { ok: false, reason: 'wrong_version', detail: `wire version ${datagram[2]} is not ${WIRE_VERSION}` };
  }
  const hasMac = ((datagram[3] ?? 0) & WIRE_FLAG_HMAC) !== 0;
  const payloadStart = WIRE_HEADER_BYTES + (hasMac ? WIRE_HMAC_BYTES : 0);
  if (datagram.length < payloadStart) {
    return { ok: false, reason: 'too_short', detail: 'datagram ends inside its HMAC' };
  }
  if (hmacKey) {
    if (!hasMac)
      return { ok: false, reason: 'missing_hmac', detail: 'a shared key is configured but the datagram has no HMAC' };
    const payload = datagram.subarray(payloadStart);
    const expected = computeDatagramMac(hmacKey, datagram.subarray(0, WIRE_HEADER_BYTES), payload);
    if (!timingSafeEqual(expected, datagram.subarray(WIRE_HEADER_BYTES, payloadStart))) {
      return { ok: false, reason: 'bad_hmac', detail: 'HMAC does not match the shared key' };
    }
  }
  return payloadStart;
}

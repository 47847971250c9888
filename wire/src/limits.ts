/** Wire-level limits shared by the tracer (what it may send) and the collector (what it accepts). */

/** Datagram magic "PH": lets the collector reject stray traffic before decoding. */
export const WIRE_MAGIC_0 = 0x50;
export const WIRE_MAGIC_1 = 0x48;
/** Current wire format version; the collector rejects others (counted as wrong version). */
export const WIRE_VERSION = 1;
/** Header: magic(2) + version(1) + flags(1). */
export const WIRE_HEADER_BYTES = 4;
/** Header flag bit: an HMAC follows the header. */
export const WIRE_FLAG_HMAC = 1;
/**
 * HMAC-SHA256 truncated to 128 bits (RFC 2104 §5 allows truncation to half the hash length);
 * 16 bytes per datagram is cheap and still infeasible to forge.
 */
export const WIRE_HMAC_BYTES = 16;
/**
 * Largest UDP payload over IPv4 (65,535 − 8 byte UDP header − 20 byte IP header); Node's
 * dgram refuses anything larger with EMSGSIZE.
 */
export const MAX_UDP_PAYLOAD_BYTES = 65_507;
/**
 * Default datagram size: Ethernet MTU 1500 − 20 (IPv4) − 8 (UDP) = 1472, less headroom for
 * tunnels/VPN encapsulation, so datagrams are never IP-fragmented on ordinary networks.
 */
export const DEFAULT_MAX_DATAGRAM_BYTES = 1400;
/** Longest id (trace, span) accepted; a 128-bit hex trace id is 32 chars, leave room for UUIDs. */
export const MAX_ID_LENGTH = 64;
/** Longest service/endpoint/host/zone/error code name accepted. */
export const MAX_NAME_LENGTH = 256;
/** Longest error description or tag value accepted. */
export const MAX_TEXT_LENGTH = 4096;
/** Most tags accepted on one event. */
export const MAX_TAGS = 64;

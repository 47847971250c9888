/**
 * Flaki's 64-bit id layout, from the most significant bit:
 * 42-bit millisecond timestamp since the epoch | 2-bit node id | 5-bit component id | 15-bit sequence.
 * Ids exceed 2^53, so they are handled as bigint internally and travel as unsigned decimal strings.
 */
import { IdServiceError } from '../errors.js';

/** Bits of the millisecond timestamp: 2^42 ms is about 139 years after the epoch. */
export const TIMESTAMP_BITS = 42;
/** Bits of the node id: 4 nodes (Flaki's layout). */
export const NODE_BITS = 2;
/** Bits of the component id: 32 components per node (Flaki's layout). */
export const COMPONENT_BITS = 5;
/** Bits of the per-millisecond sequence: 32768 ids per millisecond per (node, component). */
export const SEQUENCE_BITS = 15;

export const MAX_NODE_ID = (1 << NODE_BITS) - 1;
export const MAX_COMPONENT_ID = (1 << COMPONENT_BITS) - 1;
export const MAX_SEQUENCE = (1 << SEQUENCE_BITS) - 1;
/** Largest timestamp offset representable in 42 bits. */
export const MAX_TIMESTAMP_OFFSET_MILLIS = 2 ** TIMESTAMP_BITS - 1;

const COMPONENT_SHIFT = SEQUENCE_BITS;
const NODE_SHIFT = SEQUENCE_BITS + COMPONENT_BITS;
const TIMESTAMP_SHIFT = BigInt(SEQUENCE_BITS + COMPONENT_BITS + NODE_BITS);
const LOW_BITS_MASK = (1n << TIMESTAMP_SHIFT) - 1n;
const MAX_ID = (1n << 64n) - 1n;

/** Flaki's default epoch, 2017-01-01T00:00:00Z. */
export const DEFAULT_EPOCH_MILLIS = Date.UTC(2017, 0, 1);

/** Number of (node, component) pairs: the size of the lease space. */
export const PAIR_COUNT = (MAX_NODE_ID + 1) * (MAX_COMPONENT_ID + 1);

/** The parts of an id. */
export interface DecodedId {
  /** The id itself, as a decimal string. */
  id: string;
  /** Milliseconds since the Unix epoch (epoch offset added back). */
  timestampMillis: number;
  /** ISO-8601 form of `timestampMillis`. */
  timestamp: string;
  nodeId: number;
  componentId: number;
  sequence: number;
}

/** Packs the low 22 bits (node, component, sequence) into a number; cheap, no bigint. */
export function lowBits(nodeId: number, componentId: number, sequence: number): number {
  return (nodeId << NODE_SHIFT) | (componentId << COMPONENT_SHIFT) | sequence;
}

/** Builds the bigint id from a timestamp offset (ms since the epoch) and the low bits. */
export function composeId(timestampOffsetMillis: number, low: number): bigint {
  return (BigInt(timestampOffsetMillis) << TIMESTAMP_SHIFT) | BigInt(low);
}

/** Decimal-only, at most 20 digits (2^64-1 has 20). */
const DECIMAL_ID = /^[0-9]{1,20}$/;

/**
 * Parses a decimal id string into a bigint. Throws IDG_ERR_INPUT_INVALID naming `field` when the
 * value is not an unsigned decimal 64-bit integer.
 */
export function parseId(value: unknown, field = 'id'): bigint {
  if (typeof value !== 'string' || !DECIMAL_ID.test(value)) {
    throw new IdServiceError('IDG_ERR_INPUT_INVALID', `${field} must be a decimal string of 1-20 digits`);
  }
  const id = BigInt(value);
  if (id > MAX_ID) {
    throw new IdServiceError('IDG_ERR_INPUT_INVALID', `${field} must be at most 2^64-1 (${MAX_ID})`);
  }
  return id;
}

/** Splits an id into its parts, given the epoch it was generated with. */
export function decodeId(value: string | bigint, epochMillis = DEFAULT_EPOCH_MILLIS): DecodedId {
  const id = typeof value === 'bigint' ? value : parseId(value);
  const low = Number(id & LOW_BITS_MASK);
  const timestampMillis = Number(id >> TIMESTAMP_SHIFT) + epochMillis;
  return {
    id: id.toString(),
    timestampMillis,
    timestamp: new Date(timestampMillis).toISOString(),
    nodeId: (low >>> NODE_SHIFT) & MAX_NODE_ID,
    componentId: (low >>> COMPONENT_SHIFT) & MAX_COMPONENT_ID,
    sequence: low & MAX_SEQUENCE,
  };
}

/** Converts a pair index 0..PAIR_COUNT-1 to (node, component), and back. */
export function pairFromIndex(index: number): { nodeId: number; componentId: number } {
  return { nodeId: Math.floor(index / (MAX_COMPONENT_ID + 1)), componentId: index % (MAX_COMPONENT_ID + 1) };
}

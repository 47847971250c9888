import type { Point } from '@influxdata/influxdb-client';

/** Largest 64-bit unsigned id, as the Flaki layout's ids are. */
const MAX_U64 = (1n << 64n) - 1n;
const DECIMAL_ID = /^[0-9]{1,20}$/;

/**
 * Adds the correlation id to a point as fields (never a tag: fields are not indexed, so a per-request value
 * costs no series cardinality):
 * - `correlation_id`: the id as a string, for InfluxDB proper;
 * - `correlation_id_hi` / `correlation_id_lo`: the upper and lower 32 bits as integers, because numeric-only
 *   Influx-protocol stores (VictoriaMetrics drops string fields) would otherwise lose it, and a 64-bit id does
 *   not fit a float64 exactly while each 32-bit half does. Only for decimal 64-bit ids; foreign (hex) trace ids
 *   keep just the string field.
 */
export function addCorrelationFields(point: Point, correlationId: string): Point {
  point.stringField('correlation_id', correlationId);
  const halves = splitCorrelationId(correlationId);
  if (halves) point.intField('correlation_id_hi', halves.hi).intField('correlation_id_lo', halves.lo);
  return point;
}

/** The upper and lower 32 bits of a decimal 64-bit id, or undefined when it is not one. */
export function splitCorrelationId(correlationId: string): { hi: number; lo: number } | undefined {
  if (!DECIMAL_ID.test(correlationId)) return undefined;
  const value = BigInt(correlationId);
  if (value > MAX_U64) return undefined;
  return { hi: Number(value >> 32n), lo: Number(value & 0xffffffffn) };
}

/** Inverse of {@link splitCorrelationId}: the decimal id from its two halves. */
export function joinCorrelationId(hi: number, lo: number): string {
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}

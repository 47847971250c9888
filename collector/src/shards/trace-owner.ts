/**
 * Which shard owns a trace: FNV-1a (32-bit) over the trace id's UTF-8 bytes; the hash's top
 * OWNER_TABLE_BITS bits pick a slot of a table that gives each shard its slice of the hash space
 * (slices may differ in size: the shard on the receiving thread owns a smaller one, see
 * TraceOwners.forShards; the hash is mixed once more first, see slotOfHash). The receiving side hashes the bytes straight out of the datagram (no
 * string is made) and the API and the OTLP router hash the id they have; all see the same bytes
 * and the same table, so a trace's events and its queries meet in one shard. FNV-1a is a byte
 * loop with no table, fast on ids of 16–32 bytes, and spreads decimal and hex ids evenly (tested).
 */

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** 4,096 slots: slices are set to 1/4096 of the trace-id space, and the table (one byte a slot) stays in L1. */
const OWNER_TABLE_BITS = 12;
const OWNER_TABLE_SHIFT = 32 - OWNER_TABLE_BITS;

/** FNV-1a of `bytes[start, end)` as an unsigned 32-bit number. */
export function fnv1aOfBytes(bytes: Uint8Array, start: number, end: number): number {
  let hash = FNV_OFFSET_BASIS;
  for (let i = start; i < end; i++) {
    hash ^= bytes[i] as number;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/**
 * The table slot of a hash. FNV-1a's last multiply carries the last byte's bits only partly into
 * the top bits (sequential ids came out 5 % uneven over 4 shards), so the hash is first folded and
 * multiplied by the golden-ratio constant (Fibonacci hashing), whose top bits depend on every bit.
 */
function slotOfHash(hash: number): number {
  return Math.imul(hash ^ (hash >>> 16), 0x9e3779b1) >>> OWNER_TABLE_SHIFT;
}

/** The slices of the trace-id space owned by each shard: one object per collector, shared by every router and the API. */
export class TraceOwners {
  /** Owner shard per slot, indexed by the hash's top OWNER_TABLE_BITS bits. */
  readonly table: Uint8Array;
  /** Each shard's share of the trace-id space (sums to 1), as the table sets it. */
  readonly shares: readonly number[];

  private constructor(weights: readonly number[]) {
    const slots = 1 << OWNER_TABLE_BITS;
    const total = weights.reduce((a, b) => a + b, 0);
    this.table = new Uint8Array(slots);
    const shares: number[] = [];
    let cumulative = 0;
    let from = 0;
    weights.forEach((weight, shard) => {
      cumulative += weight;
      const to = shard === weights.length - 1 ? slots : Math.round((cumulative / total) * slots);
      this.table.fill(shard, from, to);
      shares.push((to - from) / slots);
      from = to;
    });
    this.shares = shares;
  }

  /** `shardCount` equal slices. */
  static even(shardCount: number): TraceOwners {
    let owners = evenOwners.get(shardCount);
    if (!owners) {
      owners = new TraceOwners(new Array<number>(shardCount).fill(1));
      evenOwners.set(shardCount, owners);
    }
    return owners;
  }

  /**
   * The slices of a collector of `shardCount` shards whose shard 0 runs on the receiving thread
   * with `receiverShare` of the trace-id space (0: no shard there, equal slices); the other
   * shards split the rest equally.
   */
  static forShards(shardCount: number, receiverShare: number): TraceOwners {
    if (shardCount === 1 || receiverShare <= 0) return TraceOwners.even(shardCount);
    const rest = (1 - receiverShare) / (shardCount - 1);
    return new TraceOwners([receiverShare, ...new Array<number>(shardCount - 1).fill(rest)]);
  }

  get shardCount(): number {
    return this.shares.length;
  }

  /** The shard owning the trace whose id bytes are `bytes[start, end)`. */
  ofIdBytes(bytes: Uint8Array, start: number, end: number): number {
    return this.table[slotOfHash(fnv1aOfBytes(bytes, start, end))] as number;
  }

  /** The shard owning `traceId` (a string, as the API receives it). */
  ofTraceId(traceId: string): number {
    const bytes = Buffer.from(traceId, 'utf8');
    return this.ofIdBytes(bytes, 0, bytes.length);
  }
}

/** Equal slices by shard count, built once each (a table is 4 KiB). */
const evenOwners = new Map<number, TraceOwners>();

/** `owners` as given, or `shardCount` equal slices. */
export function traceOwners(owners: TraceOwners | number): TraceOwners {
  return typeof owners === 'number' ? TraceOwners.even(owners) : owners;
}

/** The shard (0 … shardCount − 1) owning the trace whose id bytes are `bytes[start, end)`. */
export function ownerOfIdBytes(bytes: Uint8Array, start: number, end: number, owners: TraceOwners | number): number {
  return traceOwners(owners).ofIdBytes(bytes, start, end);
}

/** The shard owning `traceId` (a string, as the API receives it). */
export function ownerOfTraceId(traceId: string, owners: TraceOwners | number): number {
  return traceOwners(owners).ofTraceId(traceId);
}

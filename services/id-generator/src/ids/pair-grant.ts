/**
 * What the generator needs from whoever hands out (node, component) pairs: the static pair from the
 * configuration, or a Redis lease. The generator asks on every id, so a lost or expired lease stops
 * issuance immediately (fail closed).
 */

/** The right to issue ids for one (node, component) pair, within time bounds. */
export interface PairGrant {
  nodeId: number;
  componentId: number;
  /** Ids must have a timestamp strictly after this (the previous holder's last possible timestamp). */
  floorMillis: number;
  /** Ids must have a timestamp at or before this (the bound persisted for the next holder). */
  ceilingMillis: number;
  /** Monotonic-clock deadline after which no id may be issued. */
  validUntilMonotonicMillis: number;
  /** Changes whenever a different pair (or the same pair, re-acquired) is granted. */
  generation: number;
}

/** Hands out the current grant. */
export interface PairSource {
  /** The grant in force, or undefined when ids must not be issued. */
  current(): PairGrant | undefined;
  /** Why `current()` is undefined, for the error message. */
  unavailableReason(): string;
}

/** A fixed pair from the configuration (Flaki's behaviour when no Redis is configured). */
export class StaticPairSource implements PairSource {
  private readonly grant: PairGrant;

  constructor(nodeId: number, componentId: number) {
    this.grant = {
      nodeId,
      componentId,
      floorMillis: Number.NEGATIVE_INFINITY,
      ceilingMillis: Number.POSITIVE_INFINITY,
      validUntilMonotonicMillis: Number.POSITIVE_INFINITY,
      generation: 1,
    };
  }

  current(): PairGrant {
    return this.grant;
  }

  unavailableReason(): string {
    return 'never unavailable';
  }
}

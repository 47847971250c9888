import type { Batch, DropCounters } from '@phosphor/wire';

/** Sequence numbers wrap at 2^32 (uint32 on the wire). */
const SEQUENCE_MODULO = 2 ** 32;
/**
 * A jump forward larger than this is taken as a tracer restart with the same id or garbage, not
 * as loss: 2^20 datagrams is ~17 minutes at 1,000 datagrams/s.
 */
const MAX_PLAUSIBLE_GAP = 2 ** 20;

/** Loss accounting of one tracer instance. */
export interface ClientLoss {
  tracerId: string;
  service: string;
  hostname: string;
  receivedDatagrams: number;
  /** Datagrams never received, from gaps in the sequence numbers (reduced when a late one shows up). */
  lostDatagrams: number;
  /** Datagrams that arrived after a later one. */
  reorderedDatagrams: number;
  /** The tracer's own cumulative drop counters, as last reported. */
  tracerDrops: DropCounters;
  /** Wall time of the last datagram, ms since the epoch. */
  lastSeenMillis: number;
}

interface ClientState extends ClientLoss {
  nextSequence: number;
  /** Neighbours in the recency list (older, newer). */
  older: ClientState | undefined;
  newer: ClientState | undefined;
}

/**
 * Per-client loss from datagram sequence numbers and the tracer-reported drop counters. Bounded:
 * past `maxClients`, the least recently seen client is forgotten.
 */
export class ClientLossTracker {
  private readonly clients = new Map<string, ClientState>();
  /**
   * Clients in a doubly-linked list from least to most recently seen. Moving a client to the end
   * is a few pointer writes; re-inserting it into the Map (to use the Map's order) cost a delete
   * and a set on nearly every datagram, as tracers' datagrams interleave.
   */
  private oldest: ClientState | undefined;
  private newest: ClientState | undefined;
  private forgotten = 0;

  constructor(private readonly maxClients: number) {}

  /** Accounts one decoded datagram. */
  observe(batch: Batch, nowMillis: number): void {
    let client = this.clients.get(batch.tracerId);
    if (!client) {
      if (this.clients.size >= this.maxClients) {
        const oldest = this.oldest;
        if (oldest !== undefined) {
          this.clients.delete(oldest.tracerId);
          this.unlink(oldest);
        }
        this.forgotten++;
      }
      client = {
        tracerId: batch.tracerId,
        service: batch.service,
        hostname: batch.hostname,
        receivedDatagrams: 0,
        lostDatagrams: 0,
        reorderedDatagrams: 0,
        // Copied: the header is reused for the next datagram.
        tracerDrops: { ...batch.drops },
        lastSeenMillis: nowMillis,
        nextSequence: batch.sequence,
        older: undefined,
        newer: undefined,
      };
      this.clients.set(batch.tracerId, client);
      this.append(client);
    } else if (client !== this.newest) {
      this.unlink(client);
      this.append(client);
    }
    client.receivedDatagrams++;
    client.lastSeenMillis = nowMillis;
    const drops = client.tracerDrops;
    drops.bufferFull = batch.drops.bufferFull;
    drops.tooLarge = batch.drops.tooLarge;
    drops.sendError = batch.drops.sendError;
    drops.sampledOut = batch.drops.sampledOut;
    const gap = (batch.sequence - client.nextSequence + SEQUENCE_MODULO) % SEQUENCE_MODULO;
    if (gap === 0) {
      client.nextSequence = (batch.sequence + 1) % SEQUENCE_MODULO;
    } else if (gap < MAX_PLAUSIBLE_GAP) {
      client.lostDatagrams += gap;
      client.nextSequence = (batch.sequence + 1) % SEQUENCE_MODULO;
    } else if (SEQUENCE_MODULO - gap <= MAX_PLAUSIBLE_GAP) {
      // Behind the expected number: an earlier datagram arriving late, previously counted lost.
      client.reorderedDatagrams++;
      if (client.lostDatagrams > 0) client.lostDatagrams--;
    } else {
      client.nextSequence = (batch.sequence + 1) % SEQUENCE_MODULO;
    }
  }

  /** Every tracked client's loss, most recently seen first. */
  clientsLoss(): ClientLoss[] {
    const out: ClientLoss[] = [];
    for (let c = this.newest; c !== undefined; c = c.older) {
      const { nextSequence: _, older: _older, newer: _newer, ...loss } = c;
      out.push(loss);
    }
    return out;
  }

  private unlink(client: ClientState): void {
    if (client.older === undefined) this.oldest = client.newer;
    else client.older.newer = client.newer;
    if (client.newer === undefined) this.newest = client.older;
    else client.newer.older = client.older;
    client.older = client.newer = undefined;
  }

  private append(client: ClientState): void {
    client.older = this.newest;
    client.newer = undefined;
    if (this.newest === undefined) this.oldest = client;
    else this.newest.newer = client;
    this.newest = client;
  }

  /** Totals over tracked clients, for /api/stats and /metrics. */
  totals(): Record<string, number> {
    let lost = 0;
    let tracerDropped = 0;
    for (const c of this.clients.values()) {
      lost += c.lostDatagrams;
      tracerDropped += c.tracerDrops.bufferFull + c.tracerDrops.tooLarge + c.tracerDrops.sendError;
    }
    return {
      trackedClients: this.clients.size,
      forgottenClients: this.forgotten,
      lostDatagrams: lost,
      tracerDroppedEvents: tracerDropped,
    };
  }
}

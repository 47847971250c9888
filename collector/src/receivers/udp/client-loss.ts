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
}

/**
 * Per-client loss from datagram sequence numbers and the tracer-reported drop counters. Bounded:
 * past `maxClients`, the least recently seen client is forgotten.
 */
export class ClientLossTracker {
  private readonly clients = new Map<string, ClientState>();
  /** The client last moved to the end of the Map (most recently seen): no need to move it again. */
  private newest: ClientState | undefined;
  private forgotten = 0;

  constructor(private readonly maxClients: number) {}

  /** Accounts one decoded datagram. */
  observe(batch: Batch, nowMillis: number): void {
    let client = this.clients.get(batch.tracerId);
    if (!client) {
      if (this.clients.size >= this.maxClients) {
        const oldest = this.clients.keys().next().value;
        if (oldest !== undefined) this.clients.delete(oldest);
        this.forgotten++;
      }
      client = {
        tracerId: batch.tracerId,
        service: batch.service,
        hostname: batch.hostname,
        receivedDatagrams: 0,
        lostDatagrams: 0,
        reorderedDatagrams: 0,
        tracerDrops: batch.drops,
        lastSeenMillis: nowMillis,
        nextSequence: batch.sequence,
      };
      this.clients.set(batch.tracerId, client);
    } else if (client !== this.newest) {
      // Re-insert so Map order stays least-recently-seen first.
      this.clients.delete(batch.tracerId);
      this.clients.set(batch.tracerId, client);
    }
    this.newest = client;
    client.receivedDatagrams++;
    client.lastSeenMillis = nowMillis;
    client.tracerDrops = batch.drops;
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
    return [...this.clients.values()].reverse().map(({ nextSequence: _, ...loss }) => ({ ...loss }));
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

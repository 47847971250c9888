import type { ClientLoss } from '../receivers/udp/client-loss.js';

/** Tracer drop reasons as `reason` label values (snake_case, as Prometheus labels usually are). */
export const TRACER_DROP_REASONS = [
  ['bufferFull', 'buffer_full'],
  ['tooLarge', 'too_large'],
  ['sendError', 'send_error'],
] as const;

/** (service, hostname) pairs exported at most; further pairs count under `_other`. */
export const MAX_CLIENT_INSTANCE_SERIES = 200;

interface InstanceTotals {
  service: string;
  hostname: string;
  lostDatagrams: number;
  dropped: Record<(typeof TRACER_DROP_REASONS)[number][1], number>;
}

/**
 * Per-client loss as Prometheus counters keyed by service and hostname instead of the tracer id, which
 * changes at every tracer restart (a new series each time). Each tracer's cumulative counters are folded in
 * as deltas since the last scrape, so a restarted tracer (a new id, counters from zero) or a forgotten one never
 * makes a total go down; a decrease (a datagram counted lost that arrived late after all) is not subtracted. Bounded: at most {@link MAX_CLIENT_INSTANCE_SERIES} pairs, then `_other`.
 */
export class ClientLossCounters {
  private readonly lastByTracer = new Map<string, { lost: number; dropped: number[] }>();
  private readonly totals = new Map<string, InstanceTotals>();

  /** Folds the receiver's current per-tracer counters in; call at scrape time. */
  update(clients: readonly ClientLoss[]): void {
    const seen = new Set<string>();
    for (const c of clients) {
      seen.add(c.tracerId);
      const dropped = TRACER_DROP_REASONS.map(([field]) => c.tracerDrops[field]);
      const last = this.lastByTracer.get(c.tracerId);
      const t = this.totalsFor(c.service, c.hostname);
      t.lostDatagrams += Math.max(0, c.lostDatagrams - (last?.lost ?? 0));
      TRACER_DROP_REASONS.forEach(([, label], i) => {
        t.dropped[label] += Math.max(0, (dropped[i] as number) - (last?.dropped[i] ?? 0));
      });
      // Keep the high-water marks so a dip and recovery is not counted twice.
      this.lastByTracer.set(c.tracerId, {
        lost: Math.max(c.lostDatagrams, last?.lost ?? 0),
        dropped: dropped.map((d, i) => Math.max(d, last?.dropped[i] ?? 0)),
      });
    }
    // Tracers the receiver forgot: their counts are already in the totals.
    for (const id of this.lastByTracer.keys()) if (!seen.has(id)) this.lastByTracer.delete(id);
  }

  /** Totals per (service, hostname). */
  instances(): readonly InstanceTotals[] {
    return [...this.totals.values()];
  }

  private totalsFor(service: string, hostname: string): InstanceTotals {
    let key = `${service}\u0000${hostname}`;
    let t = this.totals.get(key);
    if (t) return t;
    if (this.totals.size >= MAX_CLIENT_INSTANCE_SERIES) {
      key = '_other\u0000_other';
      t = this.totals.get(key);
      if (t) return t;
      service = '_other';
      hostname = '_other';
    }
    t = { service, hostname, lostDatagrams: 0, dropped: { buffer_full: 0, too_large: 0, send_error: 0 } };
    this.totals.set(key, t);
    return t;
  }
}

/**
 * Traffic for the demo: requests to the gateway at a steady rate, a mix of single quotes, fan-out
 * baskets, currency conversions (through the OpenTelemetry-instrumented rates service) and orders (plus the symbols that always fail or are always slow, now and then). Bounded:
 * at most `maxInFlight` requests outstanding; a tick that would exceed it is skipped and counted.
 * The generator is a plain client (not traced): the gateway starts the traces.
 */

/** Options of {@link TrafficGenerator}. */
export interface TrafficOptions {
  gatewayUrl: string;
  ratePerSecond: number;
  maxInFlight: number;
  symbols: string[];
  /** Symbols per basket request. */
  basketSize: number;
  /** Per-request timeout. */
  timeoutMillis: number;
  random?: () => number;
}

/** Counters of {@link TrafficGenerator}. */
export interface TrafficStats {
  sentRequests: number;
  okResponses: number;
  errorResponses: number;
  failedRequests: number;
  skippedTicks: number;
  inFlight: number;
}

/** Sends traffic until stopped. */
export class TrafficGenerator {
  private readonly options: TrafficOptions;
  private readonly random: () => number;
  private timer: NodeJS.Timeout | undefined;
  private readonly pending = new Set<Promise<void>>();
  private readonly counters = {
    sentRequests: 0,
    okResponses: 0,
    errorResponses: 0,
    failedRequests: 0,
    skippedTicks: 0,
  };

  constructor(options: TrafficOptions) {
    this.options = options;
    this.random = options.random ?? Math.random;
  }

  /** Starts the ticks (unref'd, so it never keeps a process alive on its own). */
  start(): void {
    if (this.timer || this.options.ratePerSecond <= 0) return;
    this.timer = setInterval(() => this.tick(), 1000 / this.options.ratePerSecond);
    this.timer.unref();
  }

  /** Sends one request now (also used by tests); resolves when it completes. */
  sendOne(): Promise<void> {
    const request = this.nextRequest();
    this.counters.sentRequests++;
    const done = fetch(new URL(request.path, this.options.gatewayUrl), {
      method: request.method,
      ...(request.body ? { body: JSON.stringify(request.body), headers: { 'content-type': 'application/json' } } : {}),
      signal: AbortSignal.timeout(this.options.timeoutMillis),
    })
      .then(async (response) => {
        await response.arrayBuffer();
        if (response.ok) this.counters.okResponses++;
        else this.counters.errorResponses++;
      })
      .catch(() => {
        this.counters.failedRequests++;
      })
      .finally(() => this.pending.delete(done));
    this.pending.add(done);
    return done;
  }

  stats(): TrafficStats {
    return { ...this.counters, inFlight: this.pending.size };
  }

  /** Stops ticking and waits for outstanding requests. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.pending]);
  }

  private tick(): void {
    if (this.pending.size >= this.options.maxInFlight) {
      this.counters.skippedTicks++;
      return;
    }
    void this.sendOne();
  }

  private pick(): string {
    const roll = this.random();
    // Rare fixed symbols make sure the dashboard always has an error trace and a slow trace to show.
    if (roll < 0.02) return 'FAIL';
    if (roll < 0.04) return 'SLOW';
    const { symbols } = this.options;
    return symbols[Math.floor(this.random() * symbols.length)] ?? 'ACME';
  }

  private nextRequest(): { method: string; path: string; body?: unknown } {
    const kind = this.random();
    if (kind < 0.4)
      return { method: 'GET', path: `/quote/${this.pick()}?quantity=${1 + Math.floor(this.random() * 10)}` };
    if (kind < 0.65) {
      const basket = Array.from({ length: this.options.basketSize }, () => this.pick());
      return { method: 'GET', path: `/basket?symbols=${basket.join(',')}` };
    }
    if (kind < 0.85) {
      // Through the OpenTelemetry-instrumented rates service: a trace mixing Phosphor and OTel hops.
      const currency = ['EUR', 'GBP', 'JPY', 'CHF'][Math.floor(this.random() * 4)] ?? 'EUR';
      return { method: 'GET', path: `/convert/${this.pick()}?currency=${currency}` };
    }
    return {
      method: 'POST',
      path: '/orders',
      body: { symbol: this.pick(), quantity: 1 + Math.floor(this.random() * 100) },
    };
  }
}

/**
 * A bounded closed-loop HTTP client for the fault scenarios: `concurrency` workers each send one
 * request, wait for its answer, and send the next. Closed loop keeps the load bounded whatever happens
 * to the system, so a latency change shows up as latency, not as an ever-growing queue.
 */

/** One request's outcome. */
export interface RequestResult {
  /** Label of the phase the request started in (set with {@link LoadClient.setPhase}). */
  phase: string;
  path: string;
  status: number;
  latencyMillis: number;
  /** X-Correlation-ID echoed by the gateway (= the trace id). */
  correlationId: string | undefined;
  /** Network/timeout error message, when there was no HTTP answer at all. */
  error?: string;
}

/** Options of {@link LoadClient}. */
export interface LoadClientOptions {
  baseUrl: string;
  /** Parallel workers (requests in flight at most). */
  concurrency: number;
  /** Picks the path of the n-th request. */
  pathFor: (n: number) => string;
  /** A request still unanswered after this long counts as failed. */
  timeoutMillis: number;
  /** Pause between a worker's requests; 0 = back to back. */
  thinkMillis?: number;
}

/** The closed-loop client. */
export class LoadClient {
  readonly results: RequestResult[] = [];
  private phase = 'init';
  private running = false;
  private workers: Promise<void>[] = [];
  private sent = 0;

  constructor(private readonly options: LoadClientOptions) {}

  /** Labels the requests started from now on. */
  setPhase(phase: string): void {
    this.phase = phase;
  }

  start(): void {
    this.running = true;
    for (let i = 0; i < this.options.concurrency; i++) this.workers.push(this.work());
  }

  /** Stops sending and waits for the requests in flight. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
    this.workers = [];
  }

  /** Results of one phase. */
  of(phase: string): RequestResult[] {
    return this.results.filter((r) => r.phase === phase);
  }

  private async work(): Promise<void> {
    while (this.running) {
      const path = this.options.pathFor(this.sent++);
      const phase = this.phase;
      const started = performance.now();
      try {
        const res = await fetch(new URL(path, this.options.baseUrl), {
          signal: AbortSignal.timeout(this.options.timeoutMillis),
        });
        await res.arrayBuffer();
        this.results.push({
          phase,
          path,
          status: res.status,
          latencyMillis: performance.now() - started,
          correlationId: res.headers.get('x-correlation-id') ?? undefined,
        });
      } catch (error) {
        this.results.push({
          phase,
          path,
          status: 0,
          latencyMillis: performance.now() - started,
          correlationId: undefined,
          error: (error as Error).message,
        });
      }
      if (this.options.thinkMillis) await new Promise((r) => setTimeout(r, this.options.thinkMillis));
    }
  }
}

/** The q-quantile (0..1) of `values` by nearest rank; NaN for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

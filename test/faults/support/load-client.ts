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
  /** The status each path must get (default 200); other answers are kept in {@link LoadClient.unexpected}. */
  expectedStatus?: (path: string) => number;
}

/**
 * Full results kept (the newest): enough to look up every trace of a short run, while a soak run's
 * client stays bounded — its own memory must not mask (or fake) growth in the code under test.
 */
const KEEP_RESULTS = 5_000;
/** Unexpected answers kept for the failure message; all of them are counted. */
const KEEP_UNEXPECTED = 100;

/** The closed-loop client. */
export class LoadClient {
  /** The newest {@link KEEP_RESULTS} results, oldest first. */
  results: RequestResult[] = [];
  /** The first unexpected answers (status other than `expectedStatus`, or no answer). */
  readonly unexpected: RequestResult[] = [];
  /** How many answers were unexpected in all. */
  unexpectedCount = 0;
  /** Latency of every request, by phase (numbers only: 8 bytes per request). */
  private readonly latencies = new Map<string, number[]>();
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

  /** Latencies (ms) of every request of one phase. */
  latenciesOf(phase: string): number[] {
    return this.latencies.get(phase) ?? [];
  }

  /** Requests answered in one phase. */
  countOf(phase: string): number {
    return this.latenciesOf(phase).length;
  }

  /** Kept results of one phase (the newest ones, see {@link KEEP_RESULTS}). */
  of(phase: string): RequestResult[] {
    return this.results.filter((r) => r.phase === phase);
  }

  private record(result: RequestResult): void {
    const phaseLatencies = this.latencies.get(result.phase) ?? [];
    if (phaseLatencies.length === 0) this.latencies.set(result.phase, phaseLatencies);
    phaseLatencies.push(result.latencyMillis);
    const expected = this.options.expectedStatus?.(result.path) ?? 200;
    if (result.status !== expected) {
      this.unexpectedCount++;
      if (this.unexpected.length < KEEP_UNEXPECTED) this.unexpected.push(result);
    }
    this.results.push(result);
    if (this.results.length > 2 * KEEP_RESULTS) this.results = this.results.slice(-KEEP_RESULTS);
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
        this.record({
          phase,
          path,
          status: res.status,
          latencyMillis: performance.now() - started,
          correlationId: res.headers.get('x-correlation-id') ?? undefined,
        });
      } catch (error) {
        this.record({
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

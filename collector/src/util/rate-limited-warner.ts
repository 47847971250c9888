import type { Logger } from 'pino';

/**
 * Logs the first occurrence of a kind of bad input at once, then at most one summary line per
 * interval with how many more were seen — never one line per packet.
 */
export class RateLimitedWarner {
  private readonly lastLoggedAt = new Map<string, number>();
  private readonly suppressed = new Map<string, number>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMillis: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Warns about `kind` unless one was logged within the interval (then only counts it). */
  warn(kind: string, detail: string): void {
    const now = this.now();
    const last = this.lastLoggedAt.get(kind);
    if (last !== undefined && now - last < this.intervalMillis) {
      this.suppressed.set(kind, (this.suppressed.get(kind) ?? 0) + 1);
      return;
    }
    const suppressed = this.suppressed.get(kind) ?? 0;
    this.lastLoggedAt.set(kind, now);
    this.suppressed.set(kind, 0);
    this.logger.warn({ kind, suppressedSinceLast: suppressed }, detail);
  }
}

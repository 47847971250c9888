/**
 * Health in Flaki's format: `GET /health` → `{"redis":"OK","influx":"Deactivated",…}`, and
 * `GET /health/<component>` → `[{"name":"ping","duration":"906.881µs","status":"OK"}]`.
 */

/** Flaki's status words. */
export type HealthStatus = 'OK' | 'KO' | 'Degraded' | 'Deactivated';

/** One test result, Flaki format (duration as Go prints a time.Duration). */
export interface HealthTestResult {
  name: string;
  duration: string;
  status: HealthStatus;
  error?: string;
}

/** A component that can report health. */
export interface HealthComponent {
  readonly name: string;
  /** Runs the component's tests; must not throw (a failure is a KO entry). */
  check(): Promise<HealthTestResult[]>;
}

/** Formats milliseconds like Go's `time.Duration.String()` for sub-minute values ("906.881µs", "12.5ms", "1.2s"). */
export function formatDuration(millis: number): string {
  if (millis < 1) return `${Number((millis * 1000).toFixed(3))}µs`;
  if (millis < 1000) return `${Number(millis.toFixed(3))}ms`;
  return `${Number((millis / 1000).toFixed(3))}s`;
}

/** Runs `test` and times it; a thrown error becomes a KO entry with the message. */
export async function timedTest(
  name: string,
  test: () => Promise<HealthStatus | undefined>,
): Promise<HealthTestResult> {
  const started = performance.now();
  try {
    const status = (await test()) ?? 'OK';
    return { name, duration: formatDuration(performance.now() - started), status };
  } catch (error) {
    return {
      name,
      duration: formatDuration(performance.now() - started),
      status: 'KO',
      error: (error as Error).message,
    };
  }
}

/** A component that is not configured: one "Deactivated" entry. */
export function deactivatedComponent(name: string): HealthComponent {
  return { name, check: async () => [{ name: 'configured', duration: '0s', status: 'Deactivated' }] };
}

/** The overall status of a component from its tests: any KO → KO, any Degraded → Degraded. */
export function summarize(results: readonly HealthTestResult[]): HealthStatus {
  if (results.length > 0 && results.every((r) => r.status === 'Deactivated')) return 'Deactivated';
  if (results.some((r) => r.status === 'KO')) return 'KO';
  if (results.some((r) => r.status === 'Degraded')) return 'Degraded';
  return 'OK';
}

import { formatDuration } from '@phosphor/service-kit';
import type { ComponentHealth, HealthStatus } from '../storage/span-store.js';
import type { PipelineComponent } from './pipeline-component.js';

/** How long one component's health check may take before it is reported KO. */
export const HEALTH_TIMEOUT_MILLIS = 2000;

/**
 * The collector's registered components, in registration order. `/health` and `/api/stats` are
 * built from it, so a new store or exporter shows up by registering itself — not by editing a
 * list. Plug-ins that exist but are not configured are registered as deactivated, so `/health`
 * names every one a user could turn on.
 */
export class ComponentRegistry {
  private readonly components: PipelineComponent[] = [];
  private readonly startedAtMillis = Date.now();

  /** Adds a component; returns it for chaining. */
  add<T extends PipelineComponent>(component: T): T {
    this.components.push(component);
    return component;
  }

  /** Adds a health entry "Deactivated" for a plug-in that is not configured. */
  addDeactivated(name: string): void {
    if (this.components.some((c) => c.name === name)) return;
    this.components.push({ name, health: () => ({ status: 'Deactivated', tests: [] }) });
  }

  /** Every component's health; a configured component replaces a deactivated entry of its name. */
  async health(): Promise<Record<string, ComponentHealth>> {
    const named = this.components.filter((c) => c.name !== undefined);
    const results = await Promise.all(named.map((c) => checkHealth(c)));
    const out: Record<string, ComponentHealth> = {};
    named.forEach((c, i) => {
      const name = c.name as string;
      const result = results[i] as ComponentHealth;
      if (out[name] === undefined || out[name].status === 'Deactivated') out[name] = result;
    });
    return out;
  }

  /** `{ uptimeSeconds, <statsKey>: counters, … }` in registration order. */
  stats(): Record<string, unknown> {
    const out: Record<string, unknown> = { uptimeSeconds: Math.round((Date.now() - this.startedAtMillis) / 1000) };
    for (const c of this.components) {
      if (c.statsKey === undefined || !c.stats) continue;
      try {
        out[c.statsKey] = c.stats();
      } catch {
        // A component whose counters throw must not take /api/stats down with it.
        out[c.statsKey] = {};
      }
    }
    return out;
  }

  /** Closes every component, last registered first (exporters before the stores they read). */
  async close(): Promise<void> {
    for (const c of [...this.components].reverse()) await c.close?.();
  }
}

/** A one-test health entry, Flaki format. */
export function simpleHealth(test: string, status: HealthStatus, error?: string): ComponentHealth {
  const entry: ComponentHealth['tests'][number] = { name: test, duration: formatDuration(0), status };
  if (error) entry.error = error;
  return { status, tests: [entry] };
}

async function checkHealth(component: PipelineComponent): Promise<ComponentHealth> {
  const name = component.name as string;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ComponentHealth>((resolve) => {
    timer = setTimeout(
      () =>
        resolve(
          simpleHealth('health-check', 'KO', `${name} health check took longer than ${HEALTH_TIMEOUT_MILLIS} ms`),
        ),
      HEALTH_TIMEOUT_MILLIS,
    );
  });
  try {
    const check = Promise.resolve().then(() => (component.health ? component.health() : simpleHealth('running', 'OK')));
    return await Promise.race([check.catch((err: Error) => simpleHealth('health-check', 'KO', err.message)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

import type { Logger } from 'pino';
import type { Aggregates } from '../aggregates/aggregates.js';
import type { CollectorConfig } from '../config/config.js';
import type { ComponentHealth } from '../storage/span-store.js';
import type { InfluxConfig } from './influx/config.js';

/** An exporter pushing aggregates somewhere on its own schedule. */
export interface AggregatesExporter {
  start(): void | Promise<void>;
  /** Flushes and stops. Safe to call twice. */
  close(): Promise<void>;
  health?(): Promise<ComponentHealth>;
  stats?(): Record<string, number>;
}

/** What `./influx/index.js` must export. */
export interface InfluxExporterModule {
  createInfluxExporter(
    config: InfluxConfig,
    aggregates: Pick<Aggregates, 'windowLabels' | 'snapshot'>,
    logger: Logger,
  ): AggregatesExporter | Promise<AggregatesExporter>;
}

/** Every exporter the collector can run: the disabled ones show as Deactivated in /health. */
export const EXPORTER_NAMES = ['influx'] as const;

/** Creates the Influx exporter when `influx.enabled` is true; imported lazily like the ES store. */
export async function createInfluxExporter(
  config: CollectorConfig,
  aggregates: Pick<Aggregates, 'windowLabels' | 'snapshot'>,
  logger: Logger,
): Promise<AggregatesExporter | undefined> {
  if (!config.influx.enabled) return undefined;
  const module: InfluxExporterModule = await import('./influx/index.js');
  return module.createInfluxExporter(config.influx, aggregates, logger.child({ component: 'influx' }));
}

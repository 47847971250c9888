import type { AggregatesExporter } from '../exporters/create-exporters.js';
import type { ComponentHealth } from '../storage/span-store.js';
import { simpleHealth } from './component-registry.js';
import type { PipelineComponent } from './pipeline-component.js';

/**
 * An exporter that pulls from the aggregates on its own schedule (Influx) as a registered
 * component: health under `name` (OK while running when it has no check of its own), counters
 * under the same key when it keeps any, closed with the collector.
 */
export class ExporterComponent implements PipelineComponent {
  readonly statsKey: string | undefined;

  constructor(
    readonly name: string,
    private readonly exporter: AggregatesExporter,
  ) {
    this.statsKey = exporter.stats ? name : undefined;
  }

  health(): Promise<ComponentHealth> | ComponentHealth {
    return this.exporter.health ? this.exporter.health() : simpleHealth('running', 'OK');
  }

  stats(): Record<string, unknown> {
    return this.exporter.stats?.() ?? {};
  }

  close(): Promise<void> {
    return this.exporter.close();
  }
}

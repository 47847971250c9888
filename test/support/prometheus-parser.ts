import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { configuredValue } from './backends.js';

/** A metric family as the reference Python client's parser reads it. */
export interface ParsedFamily {
  /** Family name (the parser strips `_total` from counters and `_bucket`/`_sum`/`_count` from histograms). */
  name: string;
  type: string;
  help: string;
  samples: { name: string; labels: Record<string, string>; value: number | 'NaN' }[];
}

const SCRIPT = fileURLToPath(new URL('./prometheus-parse.py', import.meta.url));

/**
 * Parses Prometheus text exposition with `prometheus_client.parser` (PyPI; `test/infra/backends.sh` installs it
 * into .cache/python). Rejects with the parser's message on malformed input; fails loudly when it is missing.
 */
export function parsePrometheusText(text: string): Promise<ParsedFamily[]> {
  const python = configuredValue('PHOSPHOR_TEST_PROM_PARSER_PYTHON', 'the Prometheus parser (prometheus_client)');
  return new Promise((resolve, reject) => {
    const child = execFile(python, [SCRIPT], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`prometheus_client rejected the exposition: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout) as ParsedFamily[]);
    });
    child.stdin?.end(text);
  });
}

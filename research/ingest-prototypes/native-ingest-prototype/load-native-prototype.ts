/**
 * Builds and loads the native ingest prototype (ingest.c) for bench:collector-floor: compiled with
 * the system C compiler against the running Node's N-API headers into .cache/, once per source
 * change. Returns why when it cannot (no compiler, no headers) — the bench then reports the row
 * as not measured instead of failing.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The addon's JavaScript face (see js_create / js_ingest / js_stats in ingest.c). */
export interface NativeIngestPrototype {
  create(capacity: number): object;
  ingest(core: object, datagram: Buffer): void;
  stats(core: object): { events: number; completeSpans: number; overwrittenSpans: number; duplicateEvents: number };
}

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, 'ingest.c');
const cacheDir = join(here, '..', '..', '..', '.cache', 'native-ingest-prototype');

/** Where node_api.h is for the running Node: next to its binary's prefix, else the distribution's. */
function headerDir(): string | undefined {
  const candidates = [join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node'];
  return candidates.find((dir) => existsSync(join(dir, 'node_api.h')));
}

export function loadNativePrototype(): { addon: NativeIngestPrototype } | { unavailable: string } {
  const headers = headerDir();
  if (!headers) return { unavailable: 'no N-API headers (node_api.h) next to this Node' };
  const digest = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 12);
  const output = join(cacheDir, `ingest-${digest}.node`);
  if (!existsSync(output)) {
    mkdirSync(cacheDir, { recursive: true });
    try {
      execFileSync(
        process.env.CC ?? 'cc',
        [
          '-O2',
          '-shared',
          '-fPIC',
          '-DNODE_GYP_MODULE_NAME=phosphor_ingest_prototype',
          `-I${headers}`,
          '-o',
          output,
          source,
        ],
        { stdio: 'pipe' },
      );
    } catch (err) {
      return { unavailable: `cannot compile ingest.c: ${(err as Error).message.split('\n')[0]}` };
    }
  }
  return { addon: createRequire(import.meta.url)(output) as NativeIngestPrototype };
}

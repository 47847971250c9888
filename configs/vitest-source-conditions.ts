/**
 * Vitest resolves the workspace packages (@phosphor/wire, @phosphor/tracer, …) to their TypeScript sources
 * through the `@phosphor/source` export condition, so tests run on the code as edited, without a build.
 * Installed packages (and plain `node`) never set that condition and load the compiled dist/.
 */
import { defaultClientConditions, defaultServerConditions } from 'vite';

export const SOURCE_CONDITION = '@phosphor/source';

export const sourceConditions = {
  resolve: { conditions: [SOURCE_CONDITION, ...defaultClientConditions] },
  // vitest's own server default leaves out `module` (it would pick ESM builds Node cannot load, e.g.
  // @opentelemetry/api's extension-less imports); vitest also passes these to its workers as --conditions.
  ssr: { resolve: { conditions: [SOURCE_CONDITION, ...defaultServerConditions.filter((c) => c !== 'module')] } },
};

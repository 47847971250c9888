/**
 * Vitest global setup of the system tests: they run the daemons from their compiled dist/ (as deployed), so
 * bring dist/ up to date first. `tsc -b` only recompiles what changed, so this costs little after a build.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export default function buildPackages(): void {
  const tsc = `${ROOT}node_modules/typescript/bin/tsc`;
  execFileSync(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  execFileSync(process.execPath, ['collector/scripts/bundle-assets.mjs'], { cwd: ROOT, stdio: 'inherit' });
}

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const MIN_MAJOR = 24;

/** PATH as the machine has it, without any node_modules/.bin an npm script put in front. */
function machinePath(): string {
  return (process.env.PATH ?? '')
    .split(':')
    .filter((dir) => !dir.endsWith('/node_modules/.bin'))
    .join(':');
}

describe('Node.js runtime', () => {
  it('runs the tests themselves (vitest workers) on Node.js 24 or newer', () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(MIN_MAJOR);
  });

  it('scripts/node-runtime.sh puts Node 24 first on PATH and says so in one line when the machine node is older', () => {
    const path = machinePath();
    const machineNode = execFileSync('bash', ['-c', 'command -v node && node -p process.versions.node || true'], {
      env: { ...process.env, PATH: path },
      encoding: 'utf8',
    })
      .trim()
      .split('\n');
    const out = execFileSync(
      'bash',
      ['-c', 'source scripts/node-runtime.sh && echo "node=$(node -p process.versions.node)"'],
      {
        cwd: ROOT,
        env: { ...process.env, PATH: path },
        encoding: 'utf8',
      },
    );
    const used = /node=(\d+)\./.exec(out)?.[1];
    expect(Number(used)).toBeGreaterThanOrEqual(MIN_MAJOR);
    const notices = out.split('\n').filter((line) => line.includes('using Node'));
    const machineMajor = Number(machineNode[1]?.split('.')[0] ?? 0);
    if (machineMajor < MIN_MAJOR) {
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatch(/this machine's node is v\d+.*using Node v24\./);
    } else {
      expect(notices).toHaveLength(0);
    }
  });
});

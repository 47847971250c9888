/**
 * jsdom has no layout: every element measures 0×0, so the row virtualiser would render nothing.
 * Give elements a fixed viewport-sized box, like a real browser window would.
 */
import { cleanup, configure } from '@testing-library/react';
import { afterEach } from 'vitest';

// findBy*/waitFor give up after 1 s by default; on a loaded 2-core machine (the whole suite runs in parallel)
// the trace loader's worker can take longer than that to answer.
configure({ asyncUtilTimeout: 10_000 });

/** The pretend viewport: 600px tall shows ~23 timeline rows of 26px. */
export const TEST_VIEWPORT = { width: 1200, height: 600 } as const;

// Files that opt into the node environment (`@vitest-environment node`) have no DOM to patch.
const hasDom = typeof HTMLElement !== 'undefined';
if (hasDom) {
  const proto = HTMLElement.prototype;
  Object.defineProperty(proto, 'clientHeight', { configurable: true, get: () => TEST_VIEWPORT.height });
  Object.defineProperty(proto, 'clientWidth', { configurable: true, get: () => TEST_VIEWPORT.width });
  Object.defineProperty(proto, 'offsetHeight', { configurable: true, get: () => TEST_VIEWPORT.height });
  Object.defineProperty(proto, 'offsetWidth', { configurable: true, get: () => TEST_VIEWPORT.width });
}

afterEach(() => {
  if (!hasDom) return;
  cleanup();
  window.location.hash = '';
});

/**
 * jsdom has no layout: every element measures 0×0, so the row virtualiser would render nothing.
 * Give elements a fixed viewport-sized box, like a real browser window would.
 */
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

/** The pretend viewport: 600px tall shows ~23 timeline rows of 26px. */
export const TEST_VIEWPORT = { width: 1200, height: 600 } as const;

Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => TEST_VIEWPORT.height });
Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => TEST_VIEWPORT.width });
Object.defineProperty(HTMLElement.prototype, 'offsetHeight', { configurable: true, get: () => TEST_VIEWPORT.height });
Object.defineProperty(HTMLElement.prototype, 'offsetWidth', { configurable: true, get: () => TEST_VIEWPORT.width });

afterEach(() => {
  cleanup();
  window.location.hash = '';
});

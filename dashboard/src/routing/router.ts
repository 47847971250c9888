/**
 * The hash router's store: components read the current route with {@link useRoute}; navigation
 * either pushes a history entry (a new view) or replaces it (state inside a view, like the
 * selected span, which should not fill the back button's history).
 */
import { useSyncExternalStore } from 'react';
import { parseHash, type Route } from './route.js';

const listeners = new Set<() => void>();

function notify(): void {
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  if (listeners.size === 0) window.addEventListener('hashchange', notify);
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) window.removeEventListener('hashchange', notify);
  };
}

let lastHash: string | undefined;
let lastRoute: Route | undefined;

function snapshot(): Route {
  const hash = window.location.hash;
  if (hash !== lastHash || !lastRoute) {
    lastHash = hash;
    lastRoute = parseHash(hash);
  }
  return lastRoute;
}

/** The current route; re-renders on navigation. */
export function useRoute(): Route {
  return useSyncExternalStore(subscribe, snapshot, snapshot);
}

/** Goes to `hash` (from `formatRoute`). `replace` updates the URL without a history entry. */
export function navigate(hash: string, options: { replace?: boolean } = {}): void {
  if (hash === window.location.hash) return;
  if (options.replace) {
    window.history.replaceState(window.history.state, '', hash);
    notify();
  } else {
    window.location.hash = hash;
  }
}

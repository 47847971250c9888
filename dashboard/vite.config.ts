import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin, type PluginOption } from 'vite';

/** Where `npm run dev` forwards `/api` and `/health`: the collector's default HTTP port. */
const COLLECTOR_DEV_URL = 'http://127.0.0.1:7761';

/**
 * Defence in depth for hostile span data: the built page may run only its own scripts. Added at
 * build time only, because the dev server injects an inline React Refresh preamble.
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'";

function contentSecurityPolicy(): Plugin {
  return {
    name: 'phosphor-csp',
    apply: 'build',
    transformIndexHtml() {
      return [
        {
          tag: 'meta',
          attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY },
          injectTo: 'head',
        },
      ];
    },
  };
}

export default defineConfig({
  // plugin-react is typed against the workspace's hoisted vite 8 (vitest's); the plugin API it uses is the same in 7.
  plugins: [react() as unknown as PluginOption, contentSecurityPolicy()],
  // Relative asset URLs, so the collector can serve dist/ under any prefix.
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: {
    proxy: {
      '/api': { target: COLLECTOR_DEV_URL },
      '/health': { target: COLLECTOR_DEV_URL },
    },
  },
});

#!/usr/bin/env node
// Copies what the collector reads at run time into its own package folder, in the same relative layout as
// the repository (configs/ beside dashboard/dist), so an installed collector finds them without the monorepo:
//   configs/collector.yml                        -> collector/configs/collector.yml (its distDir ../dashboard/dist still holds)
//   configs/elasticsearch/index-template.json    -> collector/configs/elasticsearch/index-template.json
//   dashboard/dist/                              -> collector/dashboard/dist/ (when the dashboard has been built)
// Both targets are build output (git-ignored). Run by `npm run build` and before `npm pack`.
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const repo = fileURLToPath(new URL('../..', import.meta.url));
const requireDashboard = process.argv.includes('--require-dashboard');

mkdirSync(`${pkg}configs/elasticsearch`, { recursive: true });
cpSync(`${repo}configs/collector.yml`, `${pkg}configs/collector.yml`);
cpSync(`${repo}configs/elasticsearch/index-template.json`, `${pkg}configs/elasticsearch/index-template.json`);
if (existsSync(`${repo}dashboard/dist/index.html`)) {
  rmSync(`${pkg}dashboard`, { recursive: true, force: true });
  cpSync(`${repo}dashboard/dist`, `${pkg}dashboard/dist`, { recursive: true });
} else if (requireDashboard) {
  process.stderr.write('bundle-assets: dashboard/dist is missing: run `npm run build -w dashboard` first\n');
  process.exit(1);
}

#!/usr/bin/env node
// The collector daemon: runs the compiled JavaScript (npm run build, or the published package's dist/).
await import('../dist/main.js');
